import type { Actor, PurposeOfUse } from '../shared/roles';
import type { ContentRef, Recipient, StackOrigin } from './record.events';

/** Every command carries who acts and when, so deciders stay deterministic. */
interface CommandBase {
  recordId: string;
  actor: Actor;
  /** ISO 8601 time the command was received. */
  at: string;
}

export interface CreateRecord extends CommandBase {
  type: 'CreateRecord';
  mrn: string;
  patientName: string;
  dateOfBirth: string;
  documentType: string;
  title: string;
  encounterDate?: string;
  content: ContentRef;
  stack?: StackOrigin;
}

export interface AmendRecord extends CommandBase {
  type: 'AmendRecord';
  kind: string;
  reason: string;
  documentType?: string;
  title?: string;
  encounterDate?: string;
  content?: ContentRef;
  /** The amendment request this version answers; its kind must be `patient-requested`. */
  amendmentRequestId?: string;
}

export interface CompleteOcr extends CommandBase {
  type: 'CompleteOcr';
  version: number;
  pages: number;
  meanConfidence: number;
  textKey: string;
  /** The text of each page, in page order (PHI). */
  pageTexts?: string[];
}

export interface FailOcr extends CommandBase {
  type: 'FailOcr';
  version: number;
  reason: string;
}

export interface ReleaseRecord extends CommandBase {
  type: 'ReleaseRecord';
  releaseId: string;
  recipient: Recipient;
  purpose: string;
  authorizationReference: string;
  versions?: number[];
  description: string;
}

export interface PlaceLegalHold extends CommandBase {
  type: 'PlaceLegalHold';
  holdId: string;
  matter: string;
  reason: string;
}

export interface LiftLegalHold extends CommandBase {
  type: 'LiftLegalHold';
  holdId: string;
}

export interface ArchiveRecord extends CommandBase {
  type: 'ArchiveRecord';
  reason: string;
}

/** The actor approves the destruction of the record as it stands (its current version), under an authority. */
export interface ApproveDestruction extends CommandBase {
  type: 'ApproveDestruction';
  approvalId: string;
  authority: string;
  /** The disposal batch whose approval this is (appended by the batch's execution). */
  batchId?: string;
}

export interface DestroyRecord extends CommandBase {
  type: 'DestroyRecord';
  authority: string;
  /** Username of the person whose approval of this destruction is on the record; must not be the actor. */
  approvedBy: string;
  /** The disposal batch that destroys the record, if any. */
  batchId?: string;
}

/** Links a patient's amendment request to the record (the request itself lives on its own stream). */
export interface ReceiveAmendmentRequest extends CommandBase {
  type: 'ReceiveAmendmentRequest';
  requestId: string;
  requestedChange: string;
  receivedAt: string;
  dueAt: string;
}

/** Links a denial, disagreement or rebuttal of one of the record's amendment requests to it. */
export interface FileAmendmentStatement extends CommandBase {
  type: 'FileAmendmentStatement';
  requestId: string;
  statementId: string;
  kind: string;
  statement: string;
}

export type RecordCommand =
  | CreateRecord
  | AmendRecord
  | CompleteOcr
  | FailOcr
  | ReleaseRecord
  | PlaceLegalHold
  | LiftLegalHold
  | ArchiveRecord
  | ApproveDestruction
  | ReceiveAmendmentRequest
  | FileAmendmentStatement
  | DestroyRecord;

/** A read of patient content; decided against the record's state, appended to its access stream. */
export interface AccessRecord extends CommandBase {
  type: 'AccessRecord';
  accessId: string;
  purpose: PurposeOfUse;
  what: 'record' | 'content' | 'text' | 'events' | 'history' | 'diff' | 'accesses' | 'report';
  /** Absent for reads of the whole record. */
  version?: number;
  /** Why the glass was broken: required when the purpose is `emergency`, kept (sealed) only then. */
  justification?: string;
}
