import type { PurposeOfUse, Role } from '../shared/roles';
import type { AmendmentKind, DocumentType } from './document-type';

/** The stored content of one version. Not PHI: opaque keys, digests and sizes. */
export interface ContentRef {
  blobKey: string;
  sha256: string;
  size: number;
  contentType: string;
  pages: number | null;
}

/** Fields describing the document; every one of them except documentType is PHI. */
export interface RecordMetadataFields {
  documentType: DocumentType;
  title: string;
  encounterDate?: string;
}

export interface RecordCreated {
  type: 'RecordCreated';
  data: {
    recordId: string;
    mrn: string;
    patientName: string;
    dateOfBirth: string;
    documentType: DocumentType;
    title: string;
    encounterDate?: string;
    version: 1;
    content: ContentRef;
    /** Filed from a scanned stack: which, and which of its pages (no PHI). Absent for uploads. */
    stack?: StackOrigin;
    createdBy: string;
    createdAt: string;
  };
}

/** Where a record split from a stack came from: the stack, its pages (from 1) in the record, in order, and the cover sheet. */
export interface StackOrigin {
  stackId: string;
  pageRange: { first: number; last: number };
  pages: number[];
  coverSheetId: string;
  /** 1 for the pages behind the cover sheet, 2... for those behind each separator after it. */
  part: number;
}

export interface RecordAmended {
  type: 'RecordAmended';
  data: {
    recordId: string;
    version: number;
    kind: AmendmentKind;
    reason: string;
    /** Metadata fields this amendment changed; absent fields are unchanged. */
    documentType?: DocumentType;
    title?: string;
    encounterDate?: string;
    /** The new content, or absent when the version keeps the previous version's content. */
    content?: ContentRef;
    /** The patient's amendment request this version answers (kind `patient-requested`). */
    amendmentRequestId?: string;
    amendedBy: string;
    amendedAt: string;
  };
}

export interface OcrCompleted {
  type: 'OcrCompleted';
  data: {
    recordId: string;
    version: number;
    pages: number;
    meanConfidence: number;
    textKey: string;
    /**
     * The recognised text of each page (index 0 = page 1), PHI. In the event so that the search
     * read model rebuilds from the log alone; confidences and word boxes stay in the text blob.
     * Optional: events written before it existed lack it.
     */
    pageTexts?: string[];
  };
}

export interface OcrFailed {
  type: 'OcrFailed';
  data: { recordId: string; version: number; reason: string };
}

export interface Recipient {
  name: string;
  address?: string;
}

export interface RecordReleased {
  type: 'RecordReleased';
  data: {
    recordId: string;
    releaseId: string;
    recipient: Recipient;
    purpose: string;
    authorizationReference: string;
    versions: number[];
    description: string;
    releasedBy: string;
    releasedAt: string;
  };
}

export interface LegalHoldPlaced {
  type: 'LegalHoldPlaced';
  data: { recordId: string; holdId: string; matter: string; reason: string; placedBy: string; placedAt: string };
}

export interface LegalHoldLifted {
  type: 'LegalHoldLifted';
  data: { recordId: string; holdId: string; liftedBy: string; liftedAt: string };
}

export interface RecordArchived {
  type: 'RecordArchived';
  data: { recordId: string; reason: string; archivedBy: string; archivedAt: string };
}

/**
 * A second person's approval of the record's destruction, given by the approver themself. It covers
 * the version that was current when it was given: an amendment after it needs a new approval.
 * No PHI: the authority is a legal citation, kept in clear as on the tombstone.
 */
export interface DestructionApproved {
  type: 'DestructionApproved';
  data: {
    recordId: string;
    approvalId: string;
    authority: string;
    version: number;
    approvedBy: string;
    approverRole: Role;
    approvedAt: string;
    /** The disposal batch whose approval this is. */
    batchId?: string;
  };
}

/**
 * A patient's request to amend the record (45 CFR 164.526), linked to the record so that its
 * history shows it; the request's own lifecycle is on `amendment-request-<requestId>`.
 */
export interface AmendmentRequestReceived {
  type: 'AmendmentRequestReceived';
  data: { recordId: string; requestId: string; requestedChange: string; receivedAt: string; dueAt: string; registeredBy: string; registeredAt: string };
}

/** Who wrote a statement linked to an amendment request: HIM's denial, the patient's disagreement, HIM's rebuttal. */
export const AMENDMENT_STATEMENT_KINDS = ['denial', 'disagreement', 'rebuttal'] as const;
export type AmendmentStatementKind = (typeof AMENDMENT_STATEMENT_KINDS)[number];

/**
 * A statement linked to the record by an amendment request. Every later release of the record
 * carries the record's statements (164.526(d)(4)).
 */
export interface AmendmentStatementFiled {
  type: 'AmendmentStatementFiled';
  data: {
    recordId: string;
    requestId: string;
    statementId: string;
    kind: AmendmentStatementKind;
    statement: string;
    filedBy: string;
    filedAt: string;
  };
}

/** The tombstone: every field stays in clear after the record's key is destroyed. */
export interface RecordDestroyed {
  type: 'RecordDestroyed';
  data: { recordId: string; authority: string; approvedBy: string; destroyedBy: string; destroyedAt: string; batchId?: string };
}

export type RecordEvent =
  | RecordCreated
  | RecordAmended
  | OcrCompleted
  | OcrFailed
  | RecordReleased
  | LegalHoldPlaced
  | LegalHoldLifted
  | RecordArchived
  | DestructionApproved
  | AmendmentRequestReceived
  | AmendmentStatementFiled
  | RecordDestroyed;

/** Appended to `record-access-<id>`, apart from the record's own stream. */
export interface RecordAccessed {
  type: 'RecordAccessed';
  data: {
    recordId: string;
    accessId: string;
    /** The version read; null when the metadata of the whole record was read. */
    version: number | null;
    what: 'record' | 'content' | 'text' | 'events' | 'history' | 'diff' | 'accesses' | 'report';
    purpose: PurposeOfUse;
    actor: string;
    role: Role | 'system';
    at: string;
    /** Break-the-glass: why an `emergency` read was made (sealed: it may name the patient). Only on emergency reads. */
    justification?: string;
  };
}

export type RecordEventType = RecordEvent['type'];

/** Which data fields of each event are PHI and are stored encrypted with the record's key. */
export const RECORD_PHI_FIELDS: Record<RecordEventType | RecordAccessed['type'], readonly string[]> = {
  RecordCreated: ['mrn', 'patientName', 'dateOfBirth', 'title', 'encounterDate'],
  RecordAmended: ['reason', 'title', 'encounterDate'],
  OcrCompleted: ['pageTexts'],
  OcrFailed: [],
  // Events written before `purpose` was sealed hold it in clear; they still read (PhiCodec merges both).
  RecordReleased: ['recipient', 'purpose', 'description', 'authorizationReference'],
  LegalHoldPlaced: ['matter', 'reason'],
  LegalHoldLifted: [],
  RecordArchived: ['reason'],
  DestructionApproved: [],
  AmendmentRequestReceived: ['requestedChange'],
  AmendmentStatementFiled: ['statement'],
  RecordDestroyed: [],
  RecordAccessed: ['justification'],
};

export const recordStream = (recordId: string): string => `record-${recordId}`;
export const recordAccessStream = (recordId: string): string => `record-access-${recordId}`;
