import { ApiProperty } from '@nestjs/swagger';
import { AMENDMENT_REQUEST_STATUSES } from '@medrec/domain';

/** The bodies the amendment request routes answer (OpenAPI only): ids, statuses, dates, usernames; no PHI. */

export class ReceivedAmendmentRequest {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'uuid' })
  recordId: string;

  @ApiProperty({ format: 'date', description: 'Received + 60 days' })
  dueAt: string;

  @ApiProperty({ type: 'integer' })
  position: number;
}

export class AmendmentRequestSummary {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'uuid' })
  recordId: string;

  @ApiProperty({ enum: AMENDMENT_REQUEST_STATUSES })
  status: string;

  @ApiProperty({ format: 'date' })
  receivedAt: string;

  @ApiProperty({ format: 'date' })
  dueAt: string;

  @ApiProperty({ description: 'Still unanswered after its due day' })
  overdue: boolean;
}

export class AmendmentRequestList {
  @ApiProperty({ type: [AmendmentRequestSummary] })
  requests: AmendmentRequestSummary[];
}

export class AmendmentStep {
  @ApiProperty()
  by: string;

  @ApiProperty({ format: 'date-time' })
  at: string;

  @ApiProperty({ required: false, description: "The statement's id in the record's history" })
  statementId?: string;
}

export class AmendmentAcceptance extends AmendmentStep {
  @ApiProperty({ type: 'integer', description: 'The version the amendment made' })
  version: number;
}

/** GET /api/amendment-requests/:id: the request's lifecycle, every step attributed. */
export class AmendmentRequest {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'uuid' })
  recordId: string;

  @ApiProperty({ enum: AMENDMENT_REQUEST_STATUSES })
  status: string;

  @ApiProperty({ format: 'date' })
  receivedAt: string;

  @ApiProperty({ format: 'date' })
  dueAt: string;

  @ApiProperty()
  overdue: boolean;

  @ApiProperty()
  registeredBy: string;

  @ApiProperty({ format: 'date-time' })
  registeredAt: string;

  @ApiProperty({ type: () => AmendmentAcceptance, nullable: true })
  accepted: AmendmentAcceptance | null;

  @ApiProperty({ type: () => AmendmentStep, nullable: true })
  denied: AmendmentStep | null;

  @ApiProperty({ type: () => AmendmentStep, nullable: true })
  disagreement: AmendmentStep | null;

  @ApiProperty({ type: () => AmendmentStep, nullable: true })
  rebuttal: AmendmentStep | null;
}

export class AcceptedAmendmentRequest {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'uuid' })
  recordId: string;

  @ApiProperty({ enum: ['accepted'] })
  status: 'accepted';

  @ApiProperty({ type: 'integer', description: 'The new version (of kind patient-requested)' })
  version: number;

  @ApiProperty({ type: 'integer', nullable: true, description: "The record's revision (also the ETag)" })
  revision: number | null;

  @ApiProperty({ type: 'integer' })
  position: number;
}

/** A statement filed: a denial, the patient's disagreement or HIM's rebuttal. */
export class FiledAmendmentStatement {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ enum: AMENDMENT_REQUEST_STATUSES })
  status: string;

  @ApiProperty()
  statementId: string;

  @ApiProperty({ type: 'integer' })
  position: number;
}
