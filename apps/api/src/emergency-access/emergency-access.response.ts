import { ApiProperty } from '@nestjs/swagger';

/** The bodies the break-the-glass review routes answer (OpenAPI only). */

export class EmergencyAccess {
  @ApiProperty({ format: 'uuid' })
  accessId: string;

  @ApiProperty({ format: 'uuid' })
  recordId: string;

  @ApiProperty()
  actor: string;

  @ApiProperty()
  role: string;

  @ApiProperty({ format: 'date-time' })
  at: string;

  @ApiProperty({ type: String, nullable: true, description: 'Why, as the reader declared it (null once its key is gone)' })
  justification: string | null;

  @ApiProperty({ description: 'What was read (record, content, text...)' })
  what: string;

  @ApiProperty({ type: 'integer', nullable: true })
  version: number | null;

  @ApiProperty({ type: 'integer' })
  position: number;
}

export class EmergencyAccesses {
  @ApiProperty({ type: [EmergencyAccess], description: 'Unreviewed, oldest first (at most 1,000)' })
  accesses: EmergencyAccess[];
}

export class EmergencyAccessReview {
  @ApiProperty({ format: 'uuid' })
  accessId: string;

  @ApiProperty({ format: 'uuid' })
  recordId: string;

  @ApiProperty()
  reviewedBy: string;

  @ApiProperty({ format: 'date-time' })
  reviewedAt: string;

  @ApiProperty()
  note: string;

  @ApiProperty({ type: 'integer', nullable: true })
  position: number | null;
}
