import { ApiProperty } from '@nestjs/swagger';
import { DOCUMENT_TYPES } from '@medrec/domain';

/** The bodies the bulk archive routes answer (OpenAPI only). */

export class ArchiveBatchResult {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ type: String, format: 'uuid', isArray: true, description: 'The records this batch archived' })
  archived: string[];

  @ApiProperty({ type: 'integer' })
  position: number;
}

export class ArchiveBatch {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ enum: ['started', 'completed'] })
  status: 'started' | 'completed';

  @ApiProperty({ format: 'date' })
  inactiveSince: string;

  @ApiProperty({ type: String, enum: DOCUMENT_TYPES, nullable: true })
  documentType: string | null;

  @ApiProperty({ type: String, format: 'uuid', isArray: true, description: 'The records found inactive when it started' })
  recordIds: string[];

  @ApiProperty()
  startedBy: string;

  @ApiProperty({ format: 'date-time' })
  startedAt: string;

  @ApiProperty({ type: String, format: 'uuid', isArray: true, nullable: true, description: 'Once completed: the records it archived' })
  archived: string[] | null;

  @ApiProperty({ type: String, nullable: true })
  completedBy: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  completedAt: string | null;
}
