import { type Decider, unhandled } from '../shared/decider';
import { DomainError } from '../shared/domain-error';
import type { Actor, Role } from '../shared/roles';
import { DESTRUCTION_APPROVER_ROLES } from '../record/record.decider';
import { CALENDAR_DATE_RULE, isCalendarDate, Validator } from '../shared/validation';
import { type DocumentType } from '../record/document-type';
import type { Recipient, RecordEvent } from '../record/record.events';
import { isRetentionAuthority, RETENTION_AUTHORITY_RULE } from '../retention/retention.decider';

/** Stream of one disposal batch; also the id of the data key that seals its PHI (MRNs, matters). */
export const disposalStream = (batchId: string): string => `disposal-${batchId}`;

/** How a certificate says the records were destroyed. */
export const DISPOSAL_METHOD = 'crypto-shredding of the record key and deletion of every stored object';
export const DISPOSAL_STATEMENT =
  'The records listed were destroyed: the key that encrypted them was destroyed and every stored object was deleted, so they cannot be reconstructed.';

export type ExclusionReason = 'held' | 'not-yet-due' | 'already-destroyed' | 'unknown' | 'other-document-type';

export interface Exclusion {
  recordId: string;
  reason: ExclusionReason;
  /** The matter(s) of the holds, for `held` (PHI: sealed). */
  matter?: string;
  /** For `not-yet-due`. */
  retentionUntil?: string;
}

/**
 * One release of a record as the accounting of disclosures (45 CFR 164.528) lists it, kept when the
 * record is destroyed: the accounting must outlive the record, and the record's own RecordReleased
 * can no longer be read once its key is gone.
 */
export interface KeptDisclosure {
  releaseId: string;
  releasedAt: string;
  recipient: Recipient;
  purpose: string;
  description: string;
  authorizationReference: string;
  versions: number[];
  releasedBy: string;
  /** The record's document type when it was released. */
  documentType: DocumentType;
}

/** What the certificate lists of one record; collected before the record's key is destroyed. */
export interface DisposedRecord {
  recordId: string;
  /** PHI the law requires on the certificate: sealed with the batch's own key, never the record's. */
  mrn: string;
  documentType: DocumentType;
  /** Date range of the record's content (YYYY-MM-DD). */
  from: string;
  to: string;
  versions: number;
  /** The record's releases, kept for the accounting of disclosures (PHI: sealed with the batch's key). Not on the certificate. */
  disclosures?: KeptDisclosure[];
}

export interface SkippedRecord {
  recordId: string;
  reason: 'held' | 'already-destroyed' | 'unknown';
  matter?: string;
}

interface DisposalCommandBase {
  batchId: string;
  actor: Actor;
  at: string;
}

export interface ProposeDisposalBatch extends DisposalCommandBase {
  type: 'ProposeDisposalBatch';
  asOf: string;
  authority: string;
  documentType?: DocumentType;
  included: string[];
  excluded: Exclusion[];
}

export interface ApproveDisposalBatch extends DisposalCommandBase {
  type: 'ApproveDisposalBatch';
}

/** Execution, step 1 for some records: what the certificate needs, collected while the keys exist. */
export interface PrepareDisposal extends DisposalCommandBase {
  type: 'PrepareDisposal';
  records: DisposedRecord[];
}

/** Execution, step 2: each record destroyed through its own decider, or skipped (a hold placed after approval wins). */
export interface RecordDisposalOutcomes extends DisposalCommandBase {
  type: 'RecordDisposalOutcomes';
  destroyed: string[];
  skipped: SkippedRecord[];
}

/** Execution, last step: the batch is done and its certificate issued (its SHA-256 computed by the shell from `certificateOf`). */
export interface CompleteDisposal extends DisposalCommandBase {
  type: 'CompleteDisposal';
  certificateId: string;
  facility: string;
  sha256: string;
}

export type DisposalCommand = ProposeDisposalBatch | ApproveDisposalBatch | PrepareDisposal | RecordDisposalOutcomes | CompleteDisposal;

export interface DisposalBatchProposed {
  type: 'DisposalBatchProposed';
  data: {
    batchId: string;
    asOf: string;
    authority: string;
    documentType?: DocumentType;
    included: string[];
    excluded: Exclusion[];
    proposedBy: string;
    proposedAt: string;
  };
}
export interface DisposalBatchApproved {
  type: 'DisposalBatchApproved';
  data: { batchId: string; approvedBy: string; approverRole: Role; approvedAt: string };
}
export interface DisposalRecordPrepared {
  type: 'DisposalRecordPrepared';
  data: DisposedRecord & { batchId: string };
}
export interface DisposalRecordDestroyed {
  type: 'DisposalRecordDestroyed';
  data: { batchId: string; recordId: string; destroyedBy: string; destroyedAt: string };
}
export interface DisposalRecordSkipped {
  type: 'DisposalRecordSkipped';
  data: SkippedRecord & { batchId: string; skippedAt: string };
}
export interface DisposalBatchExecuted {
  type: 'DisposalBatchExecuted';
  data: { batchId: string; executedBy: string; executedAt: string; destroyed: number; skipped: number };
}
export interface CertificateIssued {
  type: 'CertificateIssued';
  data: { batchId: string; certificateId: string; facility: string; issuedAt: string; sha256: string };
}

export type DisposalEvent =
  | DisposalBatchProposed
  | DisposalBatchApproved
  | DisposalRecordPrepared
  | DisposalRecordDestroyed
  | DisposalRecordSkipped
  | DisposalBatchExecuted
  | CertificateIssued;

/** Sealed with the batch's own key (key id = the stream name): matters of excluded records, MRNs. */
export const DISPOSAL_PHI_FIELDS: Record<DisposalEvent['type'], readonly string[]> = {
  DisposalBatchProposed: ['excluded'],
  DisposalBatchApproved: [],
  DisposalRecordPrepared: ['mrn', 'disclosures'],
  DisposalRecordDestroyed: [],
  DisposalRecordSkipped: ['matter'],
  DisposalBatchExecuted: [],
  CertificateIssued: [],
};

export interface DisposalBatch {
  status: 'proposed' | 'approved' | 'executed';
  batchId: string;
  asOf: string;
  authority: string;
  documentType?: DocumentType;
  included: string[];
  excluded: Exclusion[];
  proposedBy: string;
  proposedAt: string;
  approvedBy?: string;
  approverRole?: Role;
  approvedAt?: string;
  prepared: Record<string, DisposedRecord>;
  destroyed: Array<{ recordId: string; destroyedBy: string; destroyedAt: string }>;
  skipped: SkippedRecord[];
  executedBy?: string;
  executedAt?: string;
  certificate?: { certificateId: string; facility: string; issuedAt: string; sha256: string };
}

export type DisposalState = { status: 'absent' } | DisposalBatch;

/** Everything a certificate of destruction says, in a fixed key order (its canonical JSON is hashed). */
export interface Certificate {
  id: string;
  batchId: string;
  facility: string;
  issuedAt: string;
  /** Day of destruction (YYYY-MM-DD), the last record's. */
  destroyedOn: string;
  records: Array<{ recordId: string; mrn: string; documentType: DocumentType; from: string; to: string; versions: number }>;
  count: number;
  authority: string;
  method: string;
  performedBy: string[];
  approvedBy: string;
  statement: string;
}

const isDisposalApprover = (role: Actor['role']): role is Role => (DESTRUCTION_APPROVER_ROLES as readonly string[]).includes(role);

export function validateDisposalProposal(c: { asOf: unknown; authority: unknown }): void {
  new Validator()
    .check(typeof c.asOf === 'string' && isCalendarDate(c.asOf), 'asOf', CALENDAR_DATE_RULE)
    .check(isRetentionAuthority(c.authority), 'authority', RETENTION_AUTHORITY_RULE)
    .throwIfInvalid();
}

export const disposalDecider = {
  initialState: (): DisposalState => ({ status: 'absent' }),

  decide(command: DisposalCommand, state: DisposalState): DisposalEvent[] {
    switch (command.type) {
      case 'ProposeDisposalBatch':
        return [propose(command, state)];
      case 'ApproveDisposalBatch':
        return approve(command, state);
      case 'PrepareDisposal':
        return prepare(command, state);
      case 'RecordDisposalOutcomes':
        return recordOutcomes(command, state);
      case 'CompleteDisposal':
        return complete(command, state);
      default:
        return unhandled(command, 'command');
    }
  },

  evolve(state: DisposalState, event: DisposalEvent): DisposalState {
    if (event.type === 'DisposalBatchProposed') {
      const d = event.data;
      return { status: 'proposed', ...d, excluded: d.excluded ?? [], prepared: {}, destroyed: [], skipped: [] };
    }
    if (state.status === 'absent') return state;
    switch (event.type) {
      case 'DisposalBatchApproved':
        return { ...state, status: 'approved', approvedBy: event.data.approvedBy, approverRole: event.data.approverRole, approvedAt: event.data.approvedAt };
      case 'DisposalRecordPrepared': {
        const { batchId: _batchId, ...record } = event.data;
        return { ...state, prepared: { ...state.prepared, [record.recordId]: record } };
      }
      case 'DisposalRecordDestroyed':
        return {
          ...state,
          destroyed: [...state.destroyed, { recordId: event.data.recordId, destroyedBy: event.data.destroyedBy, destroyedAt: event.data.destroyedAt }],
        };
      case 'DisposalRecordSkipped': {
        const { recordId, reason, matter } = event.data;
        return { ...state, skipped: [...state.skipped, { recordId, reason, ...(matter !== undefined ? { matter } : {}) }] };
      }
      case 'DisposalBatchExecuted':
        return { ...state, status: 'executed', executedBy: event.data.executedBy, executedAt: event.data.executedAt };
      case 'CertificateIssued': {
        const { certificateId, facility, issuedAt, sha256 } = event.data;
        return { ...state, certificate: { certificateId, facility, issuedAt, sha256 } };
      }
      default:
        return unhandled(event, 'event');
    }
  },

  /**
   * evolve() over many events, copying the batch's growing collections (prepared, destroyed,
   * skipped: one event per record) once per call instead of once per event.
   */
  evolveAll(state: DisposalState, events: readonly DisposalEvent[]): DisposalState {
    let folded = state;
    let own = false; // folded's collections are copies made here, not shared with `state`
    for (const event of events) {
      if (folded.status === 'absent' || !isRecordOutcome(event)) {
        folded = disposalDecider.evolve(folded, event);
        if (event.type === 'DisposalBatchProposed') own = true;
        continue;
      }
      if (!own) {
        folded = { ...folded, prepared: { ...folded.prepared }, destroyed: [...folded.destroyed], skipped: [...folded.skipped] };
        own = true;
      }
      if (event.type === 'DisposalRecordPrepared') {
        const { batchId: _batchId, ...record } = event.data;
        folded.prepared[record.recordId] = record;
      } else if (event.type === 'DisposalRecordDestroyed') {
        folded.destroyed.push({ recordId: event.data.recordId, destroyedBy: event.data.destroyedBy, destroyedAt: event.data.destroyedAt });
      } else {
        const { recordId, reason, matter } = event.data;
        folded.skipped.push({ recordId, reason, ...(matter !== undefined ? { matter } : {}) });
      }
    }
    return folded;
  },
} satisfies Decider<DisposalCommand, DisposalEvent, DisposalState>;

const isRecordOutcome = (event: DisposalEvent): event is DisposalRecordPrepared | DisposalRecordDestroyed | DisposalRecordSkipped =>
  event.type === 'DisposalRecordPrepared' || event.type === 'DisposalRecordDestroyed' || event.type === 'DisposalRecordSkipped';

function requireBatch(state: DisposalState): DisposalBatch {
  if (state.status === 'absent') throw new DomainError('not-found', 'No such disposal batch');
  return state;
}

/** A record's releases, from its events (PHI opened), each with the document type the record had then. */
export function keptDisclosures(events: Iterable<RecordEvent>): KeptDisclosure[] {
  const kept: KeptDisclosure[] = [];
  let documentType: DocumentType | undefined;
  for (const event of events) {
    if (event.type === 'RecordCreated') documentType = event.data.documentType;
    else if (event.type === 'RecordAmended' && event.data.documentType) documentType = event.data.documentType;
    else if (event.type === 'RecordReleased' && documentType) {
      const d = event.data;
      kept.push({
        releaseId: d.releaseId,
        releasedAt: d.releasedAt,
        recipient: d.recipient,
        purpose: d.purpose,
        description: d.description,
        authorizationReference: d.authorizationReference,
        versions: d.versions,
        releasedBy: d.releasedBy,
        documentType,
      });
    }
  }
  return kept;
}

/** Records of the batch with no outcome yet: what an execution (or its resumption) still has to do. */
export function pendingRecords(batch: DisposalBatch): string[] {
  const done = new Set([...batch.destroyed.map((d) => d.recordId), ...batch.skipped.map((s) => s.recordId)]);
  return batch.included.filter((id) => !done.has(id));
}

function propose(c: ProposeDisposalBatch, state: DisposalState): DisposalBatchProposed {
  if (state.status !== 'absent') throw new DomainError('conflict', 'A disposal batch with this id already exists');
  validateDisposalProposal(c);
  const included = [...new Set(c.included)];
  return {
    type: 'DisposalBatchProposed',
    data: {
      batchId: c.batchId,
      asOf: c.asOf,
      authority: c.authority.trim(),
      ...(c.documentType !== undefined ? { documentType: c.documentType } : {}),
      included,
      excluded: c.excluded,
      proposedBy: c.actor.username,
      proposedAt: c.at,
    },
  };
}

/** Two people: the proposer cannot approve. A second approval decides nothing; an executed batch is closed. */
function approve(c: ApproveDisposalBatch, state: DisposalState): DisposalBatchApproved[] {
  const batch = requireBatch(state);
  if (!isDisposalApprover(c.actor.role)) {
    throw new DomainError('forbidden', `Only a user acting as ${DESTRUCTION_APPROVER_ROLES.join(' or ')} may approve a disposal batch`);
  }
  if (c.actor.username.toLowerCase() === batch.proposedBy.toLowerCase()) {
    throw new DomainError('forbidden', 'A disposal batch must be approved by someone other than the person who proposed it');
  }
  if (batch.status === 'executed') throw new DomainError('conflict', 'The disposal batch has already been executed');
  if (batch.status === 'approved') return [];
  return [{ type: 'DisposalBatchApproved', data: { batchId: batch.batchId, approvedBy: c.actor.username, approverRole: c.actor.role, approvedAt: c.at } }];
}

function requireExecutable(batch: DisposalBatch): void {
  if (batch.status === 'proposed') throw new DomainError('conflict', 'The disposal batch has not been approved');
}

function prepare(c: PrepareDisposal, state: DisposalState): DisposalRecordPrepared[] {
  const batch = requireBatch(state);
  requireExecutable(batch);
  if (batch.status === 'executed') return [];
  const pending = new Set(pendingRecords(batch));
  return c.records
    .filter((r) => pending.has(r.recordId) && batch.prepared[r.recordId] === undefined)
    .map((r) => ({ type: 'DisposalRecordPrepared', data: { batchId: batch.batchId, ...r } }));
}

/** Each record's outcome once; a record already accounted for (a resumed execution) decides nothing. */
function recordOutcomes(c: RecordDisposalOutcomes, state: DisposalState): Array<DisposalRecordDestroyed | DisposalRecordSkipped> {
  const batch = requireBatch(state);
  requireExecutable(batch);
  if (batch.status === 'executed') return [];
  const pending = new Set(pendingRecords(batch));
  const events: Array<DisposalRecordDestroyed | DisposalRecordSkipped> = [];
  for (const recordId of c.destroyed) {
    if (!pending.delete(recordId)) continue;
    if (batch.prepared[recordId] === undefined)
      throw new DomainError('conflict', 'A record was destroyed before what the certificate needs of it was recorded');
    events.push({ type: 'DisposalRecordDestroyed', data: { batchId: batch.batchId, recordId, destroyedBy: c.actor.username, destroyedAt: c.at } });
  }
  for (const s of c.skipped) {
    if (!pending.delete(s.recordId)) continue;
    events.push({ type: 'DisposalRecordSkipped', data: { batchId: batch.batchId, ...s, skippedAt: c.at } });
  }
  return events;
}

/** Once every record has an outcome: executed, and one certificate. Completing again decides nothing. */
function complete(c: CompleteDisposal, state: DisposalState): Array<DisposalBatchExecuted | CertificateIssued> {
  const batch = requireBatch(state);
  requireExecutable(batch);
  if (batch.status === 'executed') return [];
  if (pendingRecords(batch).length > 0) throw new DomainError('conflict', 'Some records of the batch have not been destroyed or skipped yet');
  if (!/^[0-9a-f]{64}$/.test(c.sha256)) throw DomainError.invalid([{ field: 'sha256', message: 'must be a SHA-256 in hex' }]);
  return [
    {
      type: 'DisposalBatchExecuted',
      data: { batchId: batch.batchId, executedBy: c.actor.username, executedAt: c.at, destroyed: batch.destroyed.length, skipped: batch.skipped.length },
    },
    { type: 'CertificateIssued', data: { batchId: batch.batchId, certificateId: c.certificateId, facility: c.facility, issuedAt: c.at, sha256: c.sha256 } },
  ];
}

/**
 * The certificate of an executed batch (or of one about to be completed with `issue`), derived
 * only from the batch's events: the shell hashes its canonical JSON into CertificateIssued, and
 * re-derives and compares it whenever the certificate is read.
 */
export function certificateOf(batch: DisposalBatch, issue?: { certificateId: string; facility: string; issuedAt: string }): Certificate {
  const cert = issue ?? batch.certificate;
  if (!cert || !batch.approvedBy) throw new DomainError('not-found', 'No certificate has been issued for this batch');
  const records = batch.destroyed
    .map((d) => batch.prepared[d.recordId])
    .filter((r): r is DisposedRecord => r !== undefined)
    .map((r) => ({ recordId: r.recordId, mrn: r.mrn, documentType: r.documentType, from: r.from, to: r.to, versions: r.versions }))
    .sort((a, b) => a.recordId.localeCompare(b.recordId));
  const lastDestroyed = batch.destroyed.reduce((last, d) => (d.destroyedAt > last ? d.destroyedAt : last), cert.issuedAt.slice(0, 10));
  return {
    id: cert.certificateId,
    batchId: batch.batchId,
    facility: cert.facility,
    issuedAt: cert.issuedAt,
    destroyedOn: batch.destroyed.length > 0 ? lastDestroyed.slice(0, 10) : cert.issuedAt.slice(0, 10),
    records,
    count: records.length,
    authority: batch.authority,
    method: DISPOSAL_METHOD,
    performedBy: [...new Set(batch.destroyed.map((d) => d.destroyedBy))].sort(),
    approvedBy: batch.approvedBy,
    statement: DISPOSAL_STATEMENT,
  };
}
