import type { AmendmentKind, DocumentType } from './document-type';
import type { AmendmentStatementKind, ContentRef } from './record.events';

export type OcrState =
  { status: 'pending' } | { status: 'done'; pages: number; meanConfidence: number; textKey: string } | { status: 'failed'; reason: string };

export interface VersionState {
  version: number;
  kind: 'original' | AmendmentKind;
  /** Null for the original version. Undefined once shredded. */
  reason: string | null | undefined;
  /** The amendment request this version answers, if any. */
  amendmentRequestId?: string;
  createdBy: string;
  createdAt: string;
  content: ContentRef;
  ocr: OcrState;
}

/** A statement linked to the record by an amendment request; travels with every later release. */
export interface AmendmentStatementState {
  statementId: string;
  requestId: string;
  kind: AmendmentStatementKind;
  /** Undefined once shredded. */
  statement: string | undefined;
  filedBy: string;
  filedAt: string;
}

export interface HoldState {
  holdId: string;
  /** Undefined once shredded. */
  matter: string | undefined;
}

export interface DestructionApprovalState {
  approvalId: string;
  approvedBy: string;
  authority: string;
  /** The version current when it was given: it covers the record as it stood then. */
  version: number;
}

export interface Tombstone {
  destroyedAt: string;
  authority: string;
  approvedBy: string;
  destroyedBy: string;
  /** The disposal batch that destroyed the record, if any. */
  batchId?: string;
}

export interface ExistingRecordState {
  status: 'active' | 'archived' | 'destroyed';
  recordId: string;
  /** PHI: undefined when the event could not be decrypted (after destruction). */
  mrn?: string;
  patientName?: string;
  dateOfBirth?: string;
  title?: string;
  encounterDate?: string;
  documentType: DocumentType;
  versions: VersionState[];
  holds: HoldState[];
  releases: string[];
  destructionApprovals: DestructionApprovalState[];
  /** Ids of the amendment requests received for this record. */
  amendmentRequests: string[];
  amendmentStatements: AmendmentStatementState[];
  tombstone?: Tombstone;
}

export type RecordState = { status: 'absent' } | ExistingRecordState;

export const currentVersion = (state: ExistingRecordState): VersionState => state.versions[state.versions.length - 1];
