import type { Actor } from '../shared/roles';
import type {
  AccessRecord,
  AmendRecord,
  ApproveDestruction,
  ArchiveRecord,
  CompleteOcr,
  CreateRecord,
  DestroyRecord,
  FailOcr,
  FileAmendmentStatement,
  LiftLegalHold,
  PlaceLegalHold,
  ReceiveAmendmentRequest,
  ReleaseRecord,
} from '../record/record.commands';
import {
  AmendmentRequestReceived,
  AmendmentStatementFiled,
  ContentRef,
  DestructionApproved,
  LegalHoldLifted,
  LegalHoldPlaced,
  OcrCompleted,
  OcrFailed,
  RECORD_PHI_FIELDS,
  RecordAmended,
  RecordArchived,
  RecordCreated,
  RecordDestroyed,
  RecordEvent,
  RecordReleased,
} from '../record/record.events';

/**
 * Builders of record commands and events with realistic defaults (fictional people only).
 * Each command builder and the event it decides share their defaults, so that
 * `given([]).when(createRecord()).then([recordCreated()])` holds; override what a test is about.
 */

export const RECORD_ID = '0b6f3c1e-7d2a-4c59-9e1f-3a8d5b2c7e41';

export const actors = {
  clerk: { userId: 'u-0001', username: 'cara.clerk', role: 'clerk' },
  him: { userId: 'u-0002', username: 'hugo.him', role: 'him' },
  legal: { userId: 'u-0003', username: 'lena.legal', role: 'legal' },
  archivist: { userId: 'u-0004', username: 'arno.archivist', role: 'archivist' },
  clinician: { userId: 'u-0005', username: 'dr.clio', role: 'clinician' },
} satisfies Record<string, Actor>;

export const times = {
  created: '2024-03-01T09:00:00.000Z',
  amended: '2024-03-04T10:15:00.000Z',
  released: '2024-03-05T11:00:00.000Z',
  holdPlaced: '2024-03-06T08:30:00.000Z',
  holdLifted: '2024-03-07T16:45:00.000Z',
  archived: '2024-03-08T12:00:00.000Z',
  approved: '2031-03-01T09:30:00.000Z',
  destroyed: '2031-03-08T12:00:00.000Z',
  accessed: '2024-03-09T14:20:00.000Z',
  ocr: '2024-03-01T09:00:05.000Z',
};

export const content = (overrides: Partial<ContentRef> = {}): ContentRef => ({
  blobKey: `blobs/${RECORD_ID}/1`,
  sha256: 'a3f1'.repeat(16),
  size: 48_213,
  contentType: 'application/pdf',
  pages: 2,
  ...overrides,
});

export const amendedContent = (overrides: Partial<ContentRef> = {}): ContentRef =>
  content({ blobKey: `blobs/${RECORD_ID}/2`, sha256: 'b7c2'.repeat(16), size: 51_007, pages: 3, ...overrides });

// ---- commands ----

export const createRecord = (overrides: Partial<CreateRecord> = {}): CreateRecord => ({
  type: 'CreateRecord',
  recordId: RECORD_ID,
  actor: actors.clerk,
  at: times.created,
  mrn: 'MRN-004217',
  patientName: 'Jane Q. Testpatient',
  dateOfBirth: '1961-07-14',
  documentType: 'discharge-summary',
  title: 'Discharge summary, cardiology ward',
  encounterDate: '2024-02-27',
  content: content(),
  ...overrides,
});

export const amendRecord = (overrides: Partial<AmendRecord> = {}): AmendRecord => ({
  type: 'AmendRecord',
  recordId: RECORD_ID,
  actor: actors.him,
  at: times.amended,
  kind: 'correction',
  reason: 'Medication dose transcribed incorrectly',
  ...overrides,
});

export const completeOcr = (overrides: Partial<CompleteOcr> = {}): CompleteOcr => ({
  type: 'CompleteOcr',
  recordId: RECORD_ID,
  actor: actors.clerk,
  at: times.ocr,
  version: 1,
  pages: 2,
  meanConfidence: 91.5,
  textKey: `text/${RECORD_ID}/1`,
  ...overrides,
});

export const failOcr = (overrides: Partial<FailOcr> = {}): FailOcr => ({
  type: 'FailOcr',
  recordId: RECORD_ID,
  actor: actors.clerk,
  at: times.ocr,
  version: 1,
  reason: 'Rasterizer could not read page 2',
  ...overrides,
});

export const releaseRecord = (overrides: Partial<ReleaseRecord> = {}): ReleaseRecord => ({
  type: 'ReleaseRecord',
  recordId: RECORD_ID,
  actor: actors.him,
  at: times.released,
  releaseId: 'rel-0001',
  recipient: { name: 'Northside Insurance Claims Dept.', address: '1 Example Way, Springfield' },
  purpose: 'payment',
  authorizationReference: 'AUTH-2024-0117',
  description: 'Discharge summary for claim 88-1204',
  ...overrides,
});

export const placeLegalHold = (overrides: Partial<PlaceLegalHold> = {}): PlaceLegalHold => ({
  type: 'PlaceLegalHold',
  recordId: RECORD_ID,
  actor: actors.legal,
  at: times.holdPlaced,
  holdId: 'hold-1',
  matter: 'Doe v. General Hospital',
  reason: 'Litigation hold requested by counsel',
  ...overrides,
});

export const liftLegalHold = (overrides: Partial<LiftLegalHold> = {}): LiftLegalHold => ({
  type: 'LiftLegalHold',
  recordId: RECORD_ID,
  actor: actors.legal,
  at: times.holdLifted,
  holdId: 'hold-1',
  ...overrides,
});

export const archiveRecord = (overrides: Partial<ArchiveRecord> = {}): ArchiveRecord => ({
  type: 'ArchiveRecord',
  recordId: RECORD_ID,
  actor: actors.archivist,
  at: times.archived,
  reason: 'Inactive for the retention review period',
  ...overrides,
});

export const approveDestruction = (overrides: Partial<ApproveDestruction> = {}): ApproveDestruction => ({
  type: 'ApproveDestruction',
  recordId: RECORD_ID,
  actor: actors.him,
  at: times.approved,
  approvalId: 'appr-0001',
  authority: 'Retention schedule RS-7, item 12',
  ...overrides,
});

export const destroyRecord = (overrides: Partial<DestroyRecord> = {}): DestroyRecord => ({
  type: 'DestroyRecord',
  recordId: RECORD_ID,
  actor: actors.archivist,
  at: times.destroyed,
  authority: 'Retention schedule RS-7, item 12',
  approvedBy: actors.him.username,
  ...overrides,
});

export const accessRecord = (overrides: Partial<AccessRecord> = {}): AccessRecord => ({
  type: 'AccessRecord',
  recordId: RECORD_ID,
  actor: actors.clinician,
  at: times.accessed,
  accessId: 'acc-0001',
  purpose: 'treatment',
  what: 'content',
  version: 1,
  ...overrides,
});

// ---- events ----

export const recordCreated = (overrides: Partial<RecordCreated['data']> = {}): RecordCreated => ({
  type: 'RecordCreated',
  data: {
    recordId: RECORD_ID,
    mrn: 'MRN-004217',
    patientName: 'Jane Q. Testpatient',
    dateOfBirth: '1961-07-14',
    documentType: 'discharge-summary',
    title: 'Discharge summary, cardiology ward',
    encounterDate: '2024-02-27',
    version: 1,
    content: content(),
    createdBy: actors.clerk.username,
    createdAt: times.created,
    ...overrides,
  },
});

export const recordAmended = (overrides: Partial<RecordAmended['data']> = {}): RecordAmended => ({
  type: 'RecordAmended',
  data: {
    recordId: RECORD_ID,
    version: 2,
    kind: 'correction',
    reason: 'Medication dose transcribed incorrectly',
    amendedBy: actors.him.username,
    amendedAt: times.amended,
    ...overrides,
  },
});

export const ocrCompleted = (overrides: Partial<OcrCompleted['data']> = {}): OcrCompleted => ({
  type: 'OcrCompleted',
  data: { recordId: RECORD_ID, version: 1, pages: 2, meanConfidence: 91.5, textKey: `text/${RECORD_ID}/1`, ...overrides },
});

export const ocrFailed = (overrides: Partial<OcrFailed['data']> = {}): OcrFailed => ({
  type: 'OcrFailed',
  data: { recordId: RECORD_ID, version: 1, reason: 'Rasterizer could not read page 2', ...overrides },
});

export const recordReleased = (overrides: Partial<RecordReleased['data']> = {}): RecordReleased => ({
  type: 'RecordReleased',
  data: {
    recordId: RECORD_ID,
    releaseId: 'rel-0001',
    recipient: { name: 'Northside Insurance Claims Dept.', address: '1 Example Way, Springfield' },
    purpose: 'payment',
    authorizationReference: 'AUTH-2024-0117',
    versions: [1],
    description: 'Discharge summary for claim 88-1204',
    releasedBy: actors.him.username,
    releasedAt: times.released,
    ...overrides,
  },
});

export const legalHoldPlaced = (overrides: Partial<LegalHoldPlaced['data']> = {}): LegalHoldPlaced => ({
  type: 'LegalHoldPlaced',
  data: {
    recordId: RECORD_ID,
    holdId: 'hold-1',
    matter: 'Doe v. General Hospital',
    reason: 'Litigation hold requested by counsel',
    placedBy: actors.legal.username,
    placedAt: times.holdPlaced,
    ...overrides,
  },
});

export const legalHoldLifted = (overrides: Partial<LegalHoldLifted['data']> = {}): LegalHoldLifted => ({
  type: 'LegalHoldLifted',
  data: { recordId: RECORD_ID, holdId: 'hold-1', liftedBy: actors.legal.username, liftedAt: times.holdLifted, ...overrides },
});

export const recordArchived = (overrides: Partial<RecordArchived['data']> = {}): RecordArchived => ({
  type: 'RecordArchived',
  data: {
    recordId: RECORD_ID,
    reason: 'Inactive for the retention review period',
    archivedBy: actors.archivist.username,
    archivedAt: times.archived,
    ...overrides,
  },
});

export const destructionApproved = (overrides: Partial<DestructionApproved['data']> = {}): DestructionApproved => ({
  type: 'DestructionApproved',
  data: {
    recordId: RECORD_ID,
    approvalId: 'appr-0001',
    authority: 'Retention schedule RS-7, item 12',
    version: 1,
    approvedBy: actors.him.username,
    approverRole: 'him',
    approvedAt: times.approved,
    ...overrides,
  },
});

export const recordDestroyed = (overrides: Partial<RecordDestroyed['data']> = {}): RecordDestroyed => ({
  type: 'RecordDestroyed',
  data: {
    recordId: RECORD_ID,
    authority: 'Retention schedule RS-7, item 12',
    approvedBy: actors.him.username,
    destroyedBy: actors.archivist.username,
    destroyedAt: times.destroyed,
    ...overrides,
  },
});

export const AMENDMENT_REQUEST_ID = '5d0c2f7a-1b3e-4a6c-8d9f-2e4b6a8c0d1e';

export const receiveAmendmentRequest = (overrides: Partial<ReceiveAmendmentRequest> = {}): ReceiveAmendmentRequest => ({
  type: 'ReceiveAmendmentRequest',
  recordId: RECORD_ID,
  actor: actors.him,
  at: times.amended,
  requestId: AMENDMENT_REQUEST_ID,
  requestedChange: 'My allergy to penicillin is missing from the discharge summary',
  receivedAt: '2024-03-02',
  dueAt: '2024-05-01',
  ...overrides,
});

export const amendmentRequestReceived = (overrides: Partial<AmendmentRequestReceived['data']> = {}): AmendmentRequestReceived => ({
  type: 'AmendmentRequestReceived',
  data: {
    recordId: RECORD_ID,
    requestId: AMENDMENT_REQUEST_ID,
    requestedChange: 'My allergy to penicillin is missing from the discharge summary',
    receivedAt: '2024-03-02',
    dueAt: '2024-05-01',
    registeredBy: actors.him.username,
    registeredAt: times.amended,
    ...overrides,
  },
});

export const fileAmendmentStatement = (overrides: Partial<FileAmendmentStatement> = {}): FileAmendmentStatement => ({
  type: 'FileAmendmentStatement',
  recordId: RECORD_ID,
  actor: actors.him,
  at: times.released,
  requestId: AMENDMENT_REQUEST_ID,
  statementId: 'stmt-0001',
  kind: 'denial',
  statement: 'The summary is accurate and complete as written: no allergy was reported at admission',
  ...overrides,
});

export const amendmentStatementFiled = (overrides: Partial<AmendmentStatementFiled['data']> = {}): AmendmentStatementFiled => ({
  type: 'AmendmentStatementFiled',
  data: {
    recordId: RECORD_ID,
    requestId: AMENDMENT_REQUEST_ID,
    statementId: 'stmt-0001',
    kind: 'denial',
    statement: 'The summary is accurate and complete as written: no allergy was reported at admission',
    filedBy: actors.him.username,
    filedAt: times.released,
    ...overrides,
  },
});

/** The event as it reads after crypto-shredding: its PHI fields (RECORD_PHI_FIELDS) can no longer be decrypted. */
export function shredded<E extends RecordEvent>(event: E): E {
  const data: Record<string, unknown> = { ...event.data };
  for (const field of RECORD_PHI_FIELDS[event.type]) delete data[field];
  return { ...event, data };
}
