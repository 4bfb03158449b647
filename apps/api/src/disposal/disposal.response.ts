import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { DOCUMENT_TYPES } from '@medrec/domain';

/** The bodies the disposal routes answer (OpenAPI only). */

const BATCH_STATUSES = ['proposed', 'approved', 'executed'];

export class DisposalExclusion {
  @ApiProperty({ format: 'uuid' })
  recordId: string;

  @ApiProperty({ enum: ['held', 'not-yet-due', 'already-destroyed', 'unknown', 'other-document-type'] })
  reason: string;

  @ApiPropertyOptional({ description: 'For `held`: the matter(s) of the holds' })
  matter?: string;

  @ApiPropertyOptional({ format: 'date', description: 'For `not-yet-due`' })
  retentionUntil?: string;
}

/** 201 of POST /api/disposal/batches, or 200 of a dry run (`id` null, nothing appended). */
export class DisposalProposal {
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'null for a dry run' })
  id: string | null;

  @ApiPropertyOptional({ enum: [true], description: 'Present (true) for a dry run' })
  dryRun?: true;

  @ApiProperty({ format: 'date' })
  asOf: string;

  @ApiProperty({ type: String, format: 'uuid', isArray: true })
  included: string[];

  @ApiProperty({ type: [DisposalExclusion] })
  excluded: DisposalExclusion[];

  @ApiPropertyOptional({ type: 'integer', description: 'Absent for a dry run' })
  position?: number;
}

export class DisposalBatchSummary {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ enum: BATCH_STATUSES })
  status: string;

  @ApiProperty()
  proposedBy: string;

  @ApiProperty({ format: 'date-time' })
  proposedAt: string;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  certificateId: string | null;
}

export class DisposalBatches {
  @ApiProperty({ type: [DisposalBatchSummary] })
  batches: DisposalBatchSummary[];
}

export class DisposalSkip {
  @ApiProperty({ format: 'uuid' })
  recordId: string;

  @ApiProperty({ enum: ['held', 'already-destroyed', 'unknown'] })
  reason: string;

  @ApiPropertyOptional({ description: 'For `held`' })
  matter?: string;
}

export class DisposalBatch {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ enum: BATCH_STATUSES })
  status: string;

  @ApiProperty({ format: 'date' })
  asOf: string;

  @ApiProperty()
  authority: string;

  @ApiPropertyOptional({ enum: DOCUMENT_TYPES })
  documentType?: string;

  @ApiProperty({ type: String, format: 'uuid', isArray: true })
  included: string[];

  @ApiProperty({ type: [DisposalExclusion] })
  excluded: DisposalExclusion[];

  @ApiProperty()
  proposedBy: string;

  @ApiProperty({ format: 'date-time' })
  proposedAt: string;

  @ApiProperty({ type: String, nullable: true })
  approvedBy: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  approvedAt: string | null;

  @ApiProperty({ type: String, format: 'uuid', isArray: true })
  destroyed: string[];

  @ApiProperty({ type: [DisposalSkip] })
  skipped: DisposalSkip[];

  @ApiProperty({ type: String, nullable: true })
  executedBy: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  executedAt: string | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  certificateId: string | null;
}

export class DisposalApproval {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ enum: BATCH_STATUSES })
  status: string;

  @ApiProperty()
  approvedBy: string;

  @ApiProperty({ format: 'date-time' })
  approvedAt: string;

  @ApiProperty({ type: 'integer', nullable: true, description: 'null when it was already approved (nothing appended)' })
  position: number | null;
}

export class DisposalExecution {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ type: String, format: 'uuid', isArray: true })
  destroyed: string[];

  @ApiProperty({ type: [DisposalSkip] })
  skipped: DisposalSkip[];

  @ApiProperty({ format: 'uuid' })
  certificateId: string;

  @ApiProperty({ type: 'integer' })
  position: number;
}

export class CertifiedRecord {
  @ApiProperty({ format: 'uuid' })
  recordId: string;

  @ApiProperty()
  mrn: string;

  @ApiProperty({ enum: DOCUMENT_TYPES })
  documentType: string;

  @ApiProperty({ format: 'date', description: 'The first day the record covers' })
  from: string;

  @ApiProperty({ format: 'date', description: 'The last day the record covers' })
  to: string;

  @ApiProperty({ type: 'integer' })
  versions: number;
}

/** A certificate of destruction. */
export class DisposalCertificate {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'uuid' })
  batchId: string;

  @ApiProperty()
  facility: string;

  @ApiProperty({ format: 'date-time' })
  issuedAt: string;

  @ApiProperty({ format: 'date', description: "The day of destruction (the last record's)" })
  destroyedOn: string;

  @ApiProperty({ type: [CertifiedRecord] })
  records: CertifiedRecord[];

  @ApiProperty({ type: 'integer' })
  count: number;

  @ApiProperty()
  authority: string;

  @ApiProperty()
  method: string;

  @ApiProperty({ type: String, isArray: true })
  performedBy: string[];

  @ApiProperty()
  approvedBy: string;

  @ApiProperty()
  statement: string;
}

export class DisposalCertificates {
  @ApiProperty({ type: [DisposalCertificate] })
  certificates: DisposalCertificate[];
}

export class SealedDisposalCertificate extends DisposalCertificate {
  @ApiProperty({ description: "SHA-256 of the certificate's canonical JSON, appended when it was issued and checked on every read" })
  sha256: string;
}
