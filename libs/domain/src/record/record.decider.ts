import { type Decider, unhandled } from '../shared/decider';
import { DomainError } from '../shared/domain-error';
import { EMERGENCY_JUSTIFICATION_RULE, isEmergencyJustification } from '../audit/emergency-access';
import {
  atMost,
  CALENDAR_DATE_RULE,
  isCalendarDate,
  isMrn,
  isPersonName,
  isSha256,
  isText,
  MRN_RULE,
  PERSON_NAME_RULE,
  textRule,
  Validator,
} from '../shared/validation';
import { AmendmentKind, DocumentType, isAmendmentKind, isDocumentType } from './document-type';
import type { Role } from '../shared/roles';
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
  RecordCommand,
  ReleaseRecord,
} from './record.commands';
import { AMENDMENT_STATEMENT_KINDS, type AmendmentStatementKind, type ContentRef, type RecordAccessed, type RecordEvent } from './record.events';
import { currentVersion, ExistingRecordState, RecordState, VersionState } from './record.state';

import {
  EARLIEST_DATE_OF_BIRTH,
  MAX_APPROVER,
  MAX_AUTHORITY,
  MAX_AUTHORIZATION_REFERENCE,
  MAX_DESCRIPTION,
  MAX_MATTER,
  MAX_OCR_FAILURE_REASON,
  MAX_REASON,
  MAX_RECIPIENT_ADDRESS,
  MAX_RECIPIENT_NAME,
  MAX_RELEASE_PURPOSE,
  MAX_REQUESTED_CHANGE,
  MAX_STATEMENT,
  MAX_STORED_OCR_FAILURE_REASON,
  MAX_TITLE,
} from './record-limits';

/** "is required (at most 300 characters)". */
const required = (maxLength: number): string => `is required (${atMost(maxLength)})`;

/** Who may approve a destruction (as for disposal batches in API.md). */
export const DESTRUCTION_APPROVER_ROLES: readonly Role[] = ['archivist', 'him'];

export const recordDecider = {
  initialState: (): RecordState => ({ status: 'absent' }),

  /** Each command is decided by its own function below. */
  decide(command: RecordCommand, state: RecordState): RecordEvent[] {
    if (command.type === 'CreateRecord') return [create(command, state)];
    const record = requireLiveRecord(state);
    switch (command.type) {
      case 'AmendRecord':
        return [amend(command, record)];
      case 'CompleteOcr':
        return completeOcr(command, record);
      case 'FailOcr':
        return failOcr(command, record);
      case 'ReleaseRecord':
        return [release(command, record)];
      case 'PlaceLegalHold':
        return [placeLegalHold(command, record)];
      case 'LiftLegalHold':
        return [liftLegalHold(command, record)];
      case 'ArchiveRecord':
        return [archive(command, record)];
      case 'ApproveDestruction':
        return [approveDestruction(command, record)];
      case 'ReceiveAmendmentRequest':
        return receiveAmendmentRequest(command, record);
      case 'FileAmendmentStatement':
        return fileAmendmentStatement(command, record);
      case 'DestroyRecord':
        return [destroy(command, record)];
      default:
        return unhandled(command, 'command');
    }
  },

  evolve(state: RecordState, event: RecordEvent): RecordState {
    if (event.type === 'RecordCreated') {
      const d = event.data;
      return {
        status: 'active',
        recordId: d.recordId,
        mrn: d.mrn,
        patientName: d.patientName,
        dateOfBirth: d.dateOfBirth,
        title: d.title,
        encounterDate: d.encounterDate,
        documentType: d.documentType,
        versions: [
          { version: 1, kind: 'original', reason: null, createdBy: d.createdBy, createdAt: d.createdAt, content: d.content, ocr: { status: 'pending' } },
        ],
        holds: [],
        releases: [],
        destructionApprovals: [],
        amendmentRequests: [],
        amendmentStatements: [],
      };
    }
    if (state.status === 'absent') return state;
    switch (event.type) {
      case 'RecordAmended': {
        const d = event.data;
        const previous = currentVersion(state);
        const version: VersionState = {
          version: d.version,
          kind: d.kind,
          reason: d.reason,
          ...(d.amendmentRequestId !== undefined ? { amendmentRequestId: d.amendmentRequestId } : {}),
          createdBy: d.amendedBy,
          createdAt: d.amendedAt,
          content: d.content ?? previous.content,
          // A version without new content shares its predecessor's pages and text.
          ocr: d.content ? { status: 'pending' } : previous.ocr,
        };
        return {
          ...state,
          documentType: d.documentType ?? state.documentType,
          title: d.title ?? state.title,
          encounterDate: d.encounterDate ?? state.encounterDate,
          versions: [...state.versions, version],
        };
      }
      case 'OcrCompleted':
      case 'OcrFailed': {
        const ocr =
          event.type === 'OcrCompleted'
            ? ({ status: 'done', pages: event.data.pages, meanConfidence: event.data.meanConfidence, textKey: event.data.textKey } as const)
            : ({ status: 'failed', reason: event.data.reason } as const);
        const target = state.versions.find((v) => v.version === event.data.version);
        if (!target) return state;
        // Versions that share the OCR'd content share its result.
        return {
          ...state,
          versions: state.versions.map((v) => (v.content.blobKey === target.content.blobKey ? { ...v, ocr } : v)),
        };
      }
      case 'RecordReleased':
        return { ...state, releases: [...state.releases, event.data.releaseId] };
      case 'LegalHoldPlaced':
        return { ...state, holds: [...state.holds, { holdId: event.data.holdId, matter: event.data.matter }] };
      case 'LegalHoldLifted':
        return { ...state, holds: state.holds.filter((h) => h.holdId !== event.data.holdId) };
      case 'RecordArchived':
        return { ...state, status: 'archived' };
      case 'DestructionApproved': {
        const { approvalId, approvedBy, authority, version } = event.data;
        return { ...state, destructionApprovals: [...state.destructionApprovals, { approvalId, approvedBy, authority, version }] };
      }
      case 'AmendmentRequestReceived':
        return { ...state, amendmentRequests: [...state.amendmentRequests, event.data.requestId] };
      case 'AmendmentStatementFiled': {
        const { statementId, requestId, kind, statement, filedBy, filedAt } = event.data;
        return { ...state, amendmentStatements: [...state.amendmentStatements, { statementId, requestId, kind, statement, filedBy, filedAt }] };
      }
      case 'RecordDestroyed': {
        const { destroyedAt, authority, approvedBy, destroyedBy, batchId } = event.data;
        return {
          status: 'destroyed',
          recordId: state.recordId,
          documentType: state.documentType,
          versions: state.versions,
          holds: [],
          releases: state.releases,
          destructionApprovals: [],
          amendmentRequests: state.amendmentRequests,
          amendmentStatements: [],
          tombstone: { destroyedAt, authority, approvedBy, destroyedBy, ...(batchId !== undefined ? { batchId } : {}) },
        };
      }
      default:
        return unhandled(event, 'event');
    }
  },
} satisfies Decider<RecordCommand, RecordEvent, RecordState>;

/**
 * Decides a read: allowed on active and archived records, refused (410) once destroyed. An
 * `emergency` read (break-the-glass) must carry its justification, which the access keeps.
 */
export function decideAccess(command: AccessRecord, state: RecordState): RecordAccessed {
  const emergency = command.purpose === 'emergency';
  if (emergency && !isEmergencyJustification(command.justification)) {
    throw DomainError.invalid([{ field: 'justification', message: EMERGENCY_JUSTIFICATION_RULE }]);
  }
  const record = requireLiveRecord(state);
  if (command.version !== undefined && !record.versions.some((v) => v.version === command.version)) {
    throw new DomainError('not-found', 'No such version of this record');
  }
  return {
    type: 'RecordAccessed',
    data: {
      recordId: record.recordId,
      accessId: command.accessId,
      version: command.version ?? null,
      what: command.what,
      purpose: command.purpose,
      actor: command.actor.username,
      role: command.actor.role,
      at: command.at,
      ...(emergency ? { justification: command.justification!.trim() } : {}),
    },
  };
}

export function foldRecord(events: Iterable<RecordEvent>): RecordState {
  let state = recordDecider.initialState();
  for (const event of events) state = recordDecider.evolve(state, event);
  return state;
}

/** The record, or 404 when unknown and 410 (with the tombstone) when destroyed. */
export function requireLiveRecord(state: RecordState): ExistingRecordState {
  if (state.status === 'absent') throw new DomainError('not-found', 'No such record');
  if (state.status === 'destroyed') {
    const t = state.tombstone!;
    throw new DomainError('gone', 'The record was destroyed', [], {
      id: state.recordId,
      recordStatus: 'destroyed',
      destroyedAt: t.destroyedAt,
      authority: t.authority,
    });
  }
  return state;
}

function validateContent(v: Validator, content: ContentRef | undefined, field: string): void {
  if (content === undefined) return;
  v.check(isSha256(content.sha256), `${field}.sha256`, 'must be a lowercase hex SHA-256')
    .check(Number.isInteger(content.size) && content.size > 0, `${field}.size`, 'must be a positive integer')
    .check(typeof content.blobKey === 'string' && content.blobKey.length > 0, `${field}.blobKey`, 'is required')
    .check(typeof content.contentType === 'string' && content.contentType.length > 0, `${field}.contentType`, 'is required');
}

/**
 * The checks of a new record's own fields, also run by the shell before it inspects and stores
 * the upload, so that a bad field is refused before any work is done on the file.
 */
export function validateNewRecord(
  c: Omit<CreateRecord, 'content' | 'type' | 'recordId' | 'actor'>,
  content?: ContentRef,
  options: { contentRequired: boolean } = { contentRequired: false },
): void {
  const today = c.at.slice(0, 10);
  const v = new Validator()
    .check(isMrn(c.mrn), 'mrn', MRN_RULE)
    .check(isPersonName(c.patientName), 'patientName', PERSON_NAME_RULE)
    .check(isCalendarDate(c.dateOfBirth), 'dateOfBirth', CALENDAR_DATE_RULE)
    .check(!isCalendarDate(c.dateOfBirth) || c.dateOfBirth <= today, 'dateOfBirth', 'must not be in the future')
    .check(!isCalendarDate(c.dateOfBirth) || c.dateOfBirth >= EARLIEST_DATE_OF_BIRTH, 'dateOfBirth', `must be on or after ${EARLIEST_DATE_OF_BIRTH}`)
    .check(isDocumentType(c.documentType), 'documentType', 'is not a known document type')
    .check(isText(c.title, MAX_TITLE), 'title', required(MAX_TITLE))
    .check(c.encounterDate === undefined || isCalendarDate(c.encounterDate), 'encounterDate', CALENDAR_DATE_RULE)
    .check(!options.contentRequired || content !== undefined, 'file', 'is required');
  validateContent(v, content, 'file');
  v.throwIfInvalid();
}

function create(c: CreateRecord, state: RecordState): RecordEvent {
  if (state.status === 'destroyed') requireLiveRecord(state);
  if (state.status !== 'absent') throw new DomainError('conflict', 'The record already exists');
  validateNewRecord(c, c.content, { contentRequired: true });
  return {
    type: 'RecordCreated',
    data: {
      recordId: c.recordId,
      mrn: c.mrn,
      patientName: c.patientName,
      dateOfBirth: c.dateOfBirth,
      documentType: c.documentType as DocumentType,
      title: c.title,
      ...(c.encounterDate !== undefined ? { encounterDate: c.encounterDate } : {}),
      version: 1,
      content: c.content,
      ...(c.stack !== undefined ? { stack: c.stack } : {}),
      createdBy: c.actor.username,
      createdAt: c.at,
    },
  };
}

function amend(c: AmendRecord, record: ExistingRecordState): RecordEvent {
  if (record.status === 'archived') throw new DomainError('conflict', 'The record is archived and read-only');
  const v = new Validator()
    .check(isAmendmentKind(c.kind), 'kind', 'must be one of correction, addendum, late-entry, patient-requested')
    .check(isText(c.reason, MAX_REASON), 'reason', required(MAX_REASON))
    .check(c.documentType === undefined || isDocumentType(c.documentType), 'documentType', 'is not a known document type')
    .check(c.title === undefined || isText(c.title, MAX_TITLE), 'title', textRule(MAX_TITLE))
    .check(c.encounterDate === undefined || isCalendarDate(c.encounterDate), 'encounterDate', CALENDAR_DATE_RULE)
    .check(
      c.amendmentRequestId === undefined || c.kind === 'patient-requested',
      'kind',
      'must be patient-requested for a version that answers an amendment request',
    );
  validateContent(v, c.content, 'file');
  v.throwIfInvalid();
  if (c.amendmentRequestId !== undefined) {
    requireAmendmentRequest(record, c.amendmentRequestId);
    if (record.versions.some((version) => version.amendmentRequestId === c.amendmentRequestId)) {
      throw new DomainError('conflict', 'A version answering this amendment request already exists');
    }
    if (record.amendmentStatements.some((s) => s.requestId === c.amendmentRequestId && s.kind === 'denial')) {
      throw new DomainError('conflict', 'This amendment request was denied: no version may answer it');
    }
  }
  return {
    type: 'RecordAmended',
    data: {
      recordId: record.recordId,
      version: currentVersion(record).version + 1,
      kind: c.kind as AmendmentKind,
      reason: c.reason,
      ...(c.documentType !== undefined ? { documentType: c.documentType as DocumentType } : {}),
      ...(c.title !== undefined ? { title: c.title } : {}),
      ...(c.encounterDate !== undefined ? { encounterDate: c.encounterDate } : {}),
      ...(c.content !== undefined ? { content: c.content } : {}),
      ...(c.amendmentRequestId !== undefined ? { amendmentRequestId: c.amendmentRequestId } : {}),
      amendedBy: c.actor.username,
      amendedAt: c.at,
    },
  };
}

function ocrTarget(record: ExistingRecordState, version: number): VersionState {
  const target = record.versions.find((v) => v.version === version);
  if (!target) throw new DomainError('not-found', 'No such version of this record');
  return target;
}

/** OCR results are idempotent: a version already OCR'd decides nothing. A later success after a failure is recorded. */
function completeOcr(c: CompleteOcr, record: ExistingRecordState): RecordEvent[] {
  if (ocrTarget(record, c.version).ocr.status === 'done') return [];
  new Validator()
    .check(Number.isInteger(c.pages) && c.pages >= 0, 'pages', 'must be a non-negative integer')
    .check(typeof c.textKey === 'string' && c.textKey.length > 0, 'textKey', 'is required')
    .check(c.meanConfidence >= 0 && c.meanConfidence <= 100, 'meanConfidence', 'must be between 0 and 100')
    .check(
      c.pageTexts === undefined || (Array.isArray(c.pageTexts) && c.pageTexts.length === c.pages && c.pageTexts.every((t) => typeof t === 'string')),
      'pageTexts',
      'must hold one text per page',
    )
    .throwIfInvalid();
  const { pageTexts } = c;
  return [
    {
      type: 'OcrCompleted',
      data: {
        recordId: record.recordId,
        version: c.version,
        pages: c.pages,
        meanConfidence: c.meanConfidence,
        textKey: c.textKey,
        ...(pageTexts ? { pageTexts } : {}),
      },
    },
  ];
}

function failOcr(c: FailOcr, record: ExistingRecordState): RecordEvent[] {
  if (ocrTarget(record, c.version).ocr.status !== 'pending') return [];
  new Validator().check(isText(c.reason, MAX_OCR_FAILURE_REASON), 'reason', 'is required').throwIfInvalid();
  return [{ type: 'OcrFailed', data: { recordId: record.recordId, version: c.version, reason: c.reason.slice(0, MAX_STORED_OCR_FAILURE_REASON) } }];
}

function release(c: ReleaseRecord, record: ExistingRecordState): RecordEvent {
  const latest = currentVersion(record).version;
  const versions = c.versions && c.versions.length > 0 ? [...new Set(c.versions)].sort((a, b) => a - b) : [latest];
  new Validator()
    .check(isText(c.recipient?.name, MAX_RECIPIENT_NAME), 'recipient.name', required(MAX_RECIPIENT_NAME))
    .check(c.recipient?.address === undefined || isText(c.recipient.address, MAX_RECIPIENT_ADDRESS), 'recipient.address', textRule(MAX_RECIPIENT_ADDRESS))
    .check(isText(c.purpose, MAX_RELEASE_PURPOSE), 'purpose', required(MAX_RELEASE_PURPOSE))
    .check(isText(c.authorizationReference, MAX_AUTHORIZATION_REFERENCE), 'authorizationReference', required(MAX_AUTHORIZATION_REFERENCE))
    .check(isText(c.description, MAX_DESCRIPTION), 'description', required(MAX_DESCRIPTION))
    .check(
      versions.every((n) => record.versions.some((v) => v.version === n)),
      'versions',
      'names a version this record does not have',
    )
    .throwIfInvalid();
  return {
    type: 'RecordReleased',
    data: {
      recordId: record.recordId,
      releaseId: c.releaseId,
      recipient: c.recipient.address !== undefined ? { name: c.recipient.name, address: c.recipient.address } : { name: c.recipient.name },
      purpose: c.purpose,
      authorizationReference: c.authorizationReference,
      versions,
      description: c.description,
      releasedBy: c.actor.username,
      releasedAt: c.at,
    },
  };
}

function placeLegalHold(c: PlaceLegalHold, record: ExistingRecordState): RecordEvent {
  new Validator()
    .check(isText(c.matter, MAX_MATTER), 'matter', required(MAX_MATTER))
    .check(isText(c.reason, MAX_REASON), 'reason', required(MAX_REASON))
    .throwIfInvalid();
  if (record.holds.some((h) => h.holdId === c.holdId)) {
    throw new DomainError('conflict', 'A hold with this id already exists');
  }
  return {
    type: 'LegalHoldPlaced',
    data: { recordId: record.recordId, holdId: c.holdId, matter: c.matter, reason: c.reason, placedBy: c.actor.username, placedAt: c.at },
  };
}

function liftLegalHold(c: LiftLegalHold, record: ExistingRecordState): RecordEvent {
  if (!record.holds.some((h) => h.holdId === c.holdId)) {
    throw new DomainError('not-found', 'No such hold on this record');
  }
  return {
    type: 'LegalHoldLifted',
    data: { recordId: record.recordId, holdId: c.holdId, liftedBy: c.actor.username, liftedAt: c.at },
  };
}

function archive(c: ArchiveRecord, record: ExistingRecordState): RecordEvent {
  new Validator().check(isText(c.reason, MAX_REASON), 'reason', required(MAX_REASON)).throwIfInvalid();
  if (record.status === 'archived') throw new DomainError('conflict', 'The record is already archived');
  return {
    type: 'RecordArchived',
    data: { recordId: record.recordId, reason: c.reason, archivedBy: c.actor.username, archivedAt: c.at },
  };
}

const isDestructionApprover = (role: Role | 'system'): role is Role => (DESTRUCTION_APPROVER_ROLES as readonly string[]).includes(role);

const requireNoHold = (record: ExistingRecordState): void => {
  if (record.holds.length > 0) throw new DomainError('conflict', 'The record is under legal hold and cannot be destroyed');
};

/** The approvals that cover the record as it stands: those given since its current version was made. */
const standingApprovals = (record: ExistingRecordState) => record.destructionApprovals.filter((a) => a.version === currentVersion(record).version);

function approveDestruction(c: ApproveDestruction, record: ExistingRecordState): RecordEvent {
  new Validator().check(isText(c.authority, MAX_AUTHORITY), 'authority', required(MAX_AUTHORITY)).throwIfInvalid();
  const role = c.actor.role;
  if (!isDestructionApprover(role)) {
    throw new DomainError('forbidden', `Only a user acting as ${DESTRUCTION_APPROVER_ROLES.join(' or ')} may approve a destruction`);
  }
  requireNoHold(record);
  if (standingApprovals(record).some((a) => a.approvedBy === c.actor.username)) {
    throw new DomainError('conflict', 'You have already approved the destruction of this record as it stands');
  }
  return {
    type: 'DestructionApproved',
    data: {
      recordId: record.recordId,
      approvalId: c.approvalId,
      authority: c.authority,
      version: currentVersion(record).version,
      approvedBy: c.actor.username,
      approverRole: role,
      approvedAt: c.at,
      ...(c.batchId !== undefined ? { batchId: c.batchId } : {}),
    },
  };
}

/**
 * Dual control: the destruction needs the standing approval of the person it names, under the same
 * authority, and that person is not the one who destroys.
 */
function destroy(c: DestroyRecord, record: ExistingRecordState): RecordEvent {
  new Validator()
    .check(isText(c.authority, MAX_AUTHORITY), 'authority', required(MAX_AUTHORITY))
    .check(isText(c.approvedBy, MAX_APPROVER), 'approvedBy', required(MAX_APPROVER))
    .throwIfInvalid();
  requireNoHold(record);
  const approver = c.approvedBy.trim().toLowerCase();
  if (approver === c.actor.username.toLowerCase()) {
    throw new DomainError('conflict', 'Destruction must be approved by someone other than the person who performs it');
  }
  const approvals = standingApprovals(record).filter((a) => a.approvedBy.toLowerCase() === approver);
  if (approvals.length === 0) {
    throw new DomainError('conflict', 'The user named in approvedBy has not approved the destruction of this record as it stands (current version)');
  }
  const approval = approvals.find((a) => a.authority.trim() === c.authority.trim());
  if (!approval) throw new DomainError('conflict', 'The authority differs from the one under which the destruction was approved');
  return {
    type: 'RecordDestroyed',
    data: {
      recordId: record.recordId,
      authority: c.authority,
      approvedBy: approval.approvedBy,
      destroyedBy: c.actor.username,
      destroyedAt: c.at,
      ...(c.batchId !== undefined ? { batchId: c.batchId } : {}),
    },
  };
}

function requireAmendmentRequest(record: ExistingRecordState, requestId: string): void {
  if (!record.amendmentRequests.includes(requestId)) throw new DomainError('not-found', 'No such amendment request for this record');
}

const isIsoDateOrTime = (value: unknown): boolean => typeof value === 'string' && isCalendarDate(value.slice(0, 10)) && !Number.isNaN(Date.parse(value));

/** Idempotent: linking the same request again (a retried step of its process) decides nothing. */
function receiveAmendmentRequest(c: ReceiveAmendmentRequest, record: ExistingRecordState): RecordEvent[] {
  new Validator()
    .check(isText(c.requestedChange, MAX_REQUESTED_CHANGE), 'requestedChange', required(MAX_REQUESTED_CHANGE))
    .check(isIsoDateOrTime(c.receivedAt), 'receivedAt', 'must be an ISO 8601 date or time')
    .check(isIsoDateOrTime(c.dueAt), 'dueAt', 'must be an ISO 8601 date or time')
    .throwIfInvalid();
  if (record.amendmentRequests.includes(c.requestId)) return [];
  const event: RecordEvent = {
    type: 'AmendmentRequestReceived',
    data: {
      recordId: record.recordId,
      requestId: c.requestId,
      requestedChange: c.requestedChange,
      receivedAt: c.receivedAt,
      dueAt: c.dueAt,
      registeredBy: c.actor.username,
      registeredAt: c.at,
    },
  };
  return [event];
}

const isStatementKind = (value: unknown): value is AmendmentStatementKind => AMENDMENT_STATEMENT_KINDS.includes(value as AmendmentStatementKind);

/**
 * Statements are appended, never replaced; the request's own decider says which may follow which.
 * Idempotent by statement id, so that a retried step of the request's process decides nothing.
 */
function fileAmendmentStatement(c: FileAmendmentStatement, record: ExistingRecordState): RecordEvent[] {
  new Validator()
    .check(isStatementKind(c.kind), 'kind', `must be one of ${AMENDMENT_STATEMENT_KINDS.join(', ')}`)
    .check(isText(c.statement, MAX_STATEMENT), 'statement', required(MAX_STATEMENT))
    .throwIfInvalid();
  requireAmendmentRequest(record, c.requestId);
  if (record.amendmentStatements.some((s) => s.statementId === c.statementId)) return [];
  // The record settles a race between accepting and denying one request: whichever lands first wins.
  if (c.kind === 'denial' && record.versions.some((v) => v.amendmentRequestId === c.requestId)) {
    throw new DomainError('conflict', 'A version answering this amendment request exists: it cannot be denied');
  }
  const event: RecordEvent = {
    type: 'AmendmentStatementFiled',
    data: {
      recordId: record.recordId,
      requestId: c.requestId,
      statementId: c.statementId,
      kind: c.kind as AmendmentStatementKind,
      statement: c.statement,
      filedBy: c.actor.username,
      filedAt: c.at,
    },
  };
  return [event];
}
