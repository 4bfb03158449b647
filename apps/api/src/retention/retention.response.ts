import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { DOCUMENT_TYPES } from '@medrec/domain';

/** The bodies the retention routes answer (OpenAPI only). */

export class RetentionSchedule {
  @ApiProperty({ enum: DOCUMENT_TYPES })
  documentType: string;

  @ApiProperty({ type: 'integer', description: 'Years kept after the encounter (else creation)' })
  years: number;

  @ApiPropertyOptional({ type: 'integer', description: "For a minor: kept at least until the patient's this birthday" })
  minorsUntilAge?: number;

  @ApiProperty({ description: "The rule's source; `medrec default` for a shipped default" })
  authority: string;

  @ApiProperty({ type: String, nullable: true, description: 'null for a shipped default' })
  changedBy: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  changedAt: string | null;
}

export class RetentionSchedules {
  @ApiProperty({ type: [RetentionSchedule], description: 'One per document type' })
  schedules: RetentionSchedule[];
}

export class ChangedRetentionSchedule extends RetentionSchedule {
  @ApiProperty({ type: 'integer', nullable: true, description: 'null when the schedule already said this (nothing appended)' })
  position: number | null;
}

export class RetentionDueRecord {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ enum: DOCUMENT_TYPES })
  documentType: string;

  @ApiProperty({ format: 'date', description: 'The last day of retention' })
  retentionUntil: string;

  @ApiProperty({ description: 'The rule that gave the date, in words' })
  rule: string;

  @ApiProperty({ description: 'Some legal hold stands over the record' })
  held: boolean;
}

export class RetentionDue {
  @ApiProperty({ type: [RetentionDueRecord] })
  records: RetentionDueRecord[];

  @ApiProperty({ type: String, nullable: true, description: 'More records follow: pass it as `?cursor=`' })
  nextCursor: string | null;
}
