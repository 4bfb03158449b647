import { type Decider, unhandled } from '../shared/decider';
import { DomainError } from '../shared/domain-error';
import type { Actor } from '../shared/roles';
import { CALENDAR_DATE_RULE, isCalendarDate, isText, textRule, Validator } from '../shared/validation';
import { MAX_REQUESTED_CHANGE, MAX_STATEMENT } from '../record/record-limits';
import type { AmendmentStatementKind } from '../record/record.events';

/**
 * A patient's request to amend a record (45 CFR 164.526), as a process stream of its own:
 * received, then accepted (a new `patient-requested` version of the record) or denied; after a
 * denial the patient's statement of disagreement (once), then HIM's rebuttal (only after a
 * disagreement). Nothing follows an acceptance.
 *
 * The texts that matter to disclosures (the denial, the disagreement, the rebuttal) live on the
 * record's stream (`AmendmentStatementFiled`, sealed with the record's key), where every later
 * release finds them; this stream names them by statement id. The one PHI field here, the
 * requested change, is sealed with the record's key too (key id = the record id, not the stream
 * name), so destroying the record shreds it as well: this stream needs it only until the record
 * holds its copy (`AmendmentRequestReceived`).
 */
export const amendmentRequestStream = (requestId: string): string => `amendment-request-${requestId}`;

/** 164.526(b)(2): act on the request no later than 60 days after its receipt. */
export const AMENDMENT_RESPONSE_DAYS = 60;

/** The status of a request, in the order its steps may happen. */
export const AMENDMENT_REQUEST_STATUSES = ['received', 'accepted', 'denied', 'disagreement-filed', 'rebuttal-filed'] as const;
export type AmendmentRequestStatus = (typeof AMENDMENT_REQUEST_STATUSES)[number];

export const isAmendmentRequestStatus = (value: unknown): value is AmendmentRequestStatus =>
  AMENDMENT_REQUEST_STATUSES.includes(value as AmendmentRequestStatus);

/** The day the answer is due: received + 60 days (YYYY-MM-DD, UTC). */
export function amendmentDueAt(receivedAt: string): string {
  const due = new Date(`${receivedAt}T00:00:00.000Z`);
  due.setUTCDate(due.getUTCDate() + AMENDMENT_RESPONSE_DAYS);
  return due.toISOString().slice(0, 10);
}

/**
 * The id of the request's statement of one kind on the record: one of each kind per request, so
 * the id is derived, and filing it again (a retried step) decides nothing on the record.
 */
export const amendmentStatementId = (requestId: string, kind: AmendmentStatementKind): string => `${requestId}-${kind}`;

interface AmendmentRequestCommandBase {
  requestId: string;
  actor: Actor;
  /** ISO 8601 time the command was received. */
  at: string;
}

export interface RegisterAmendmentRequest extends AmendmentRequestCommandBase {
  type: 'RegisterAmendmentRequest';
  recordId: string;
  requestedChange: string;
  /** The day the patient's request was received (YYYY-MM-DD), not after `at`. */
  receivedAt: string;
}

/** Accepted: the record's new `patient-requested` version answering the request. */
export interface AcceptAmendmentRequest extends AmendmentRequestCommandBase {
  type: 'AcceptAmendmentRequest';
  version: number;
}

/** The reason is filed on the record as the denial statement; checked here, kept there. */
export interface DenyAmendmentRequest extends AmendmentRequestCommandBase {
  type: 'DenyAmendmentRequest';
  reason: string;
}

/** The patient's statement of disagreement, entered by HIM; filed on the record. */
export interface FileDisagreementStatement extends AmendmentRequestCommandBase {
  type: 'FileDisagreementStatement';
  statement: string;
}

/** HIM's rebuttal of the patient's statement of disagreement; filed on the record. */
export interface FileRebuttalStatement extends AmendmentRequestCommandBase {
  type: 'FileRebuttalStatement';
  statement: string;
}

export type AmendmentRequestCommand =
  RegisterAmendmentRequest | AcceptAmendmentRequest | DenyAmendmentRequest | FileDisagreementStatement | FileRebuttalStatement;

export interface AmendmentRequestRegistered {
  type: 'AmendmentRequestRegistered';
  data: { requestId: string; recordId: string; requestedChange: string; receivedAt: string; dueAt: string; registeredBy: string; registeredAt: string };
}

export interface AmendmentRequestAccepted {
  type: 'AmendmentRequestAccepted';
  data: { requestId: string; recordId: string; version: number; acceptedBy: string; acceptedAt: string };
}

export interface AmendmentRequestDenied {
  type: 'AmendmentRequestDenied';
  data: { requestId: string; recordId: string; statementId: string; deniedBy: string; deniedAt: string };
}

export interface DisagreementStatementFiled {
  type: 'DisagreementStatementFiled';
  data: { requestId: string; recordId: string; statementId: string; filedBy: string; filedAt: string };
}

export interface RebuttalStatementFiled {
  type: 'RebuttalStatementFiled';
  data: { requestId: string; recordId: string; statementId: string; filedBy: string; filedAt: string };
}

export type AmendmentRequestEvent =
  AmendmentRequestRegistered | AmendmentRequestAccepted | AmendmentRequestDenied | DisagreementStatementFiled | RebuttalStatementFiled;

/** Sealed with the record's key (key id = the record id). The statements themselves are on the record. */
export const AMENDMENT_REQUEST_PHI_FIELDS: Record<AmendmentRequestEvent['type'], readonly string[]> = {
  AmendmentRequestRegistered: ['requestedChange'],
  AmendmentRequestAccepted: [],
  AmendmentRequestDenied: [],
  DisagreementStatementFiled: [],
  RebuttalStatementFiled: [],
};

/** One attributed step: who, when, and the statement it filed on the record (none for an acceptance). */
export interface AmendmentStep {
  by: string;
  at: string;
  statementId?: string;
}

export type AmendmentRequestState =
  | { status: 'absent' }
  | {
      status: AmendmentRequestStatus;
      requestId: string;
      recordId: string;
      /** Undefined when read without the record's key, or once the record (and its key) is destroyed. */
      requestedChange: string | undefined;
      receivedAt: string;
      dueAt: string;
      registeredBy: string;
      registeredAt: string;
      accepted?: AmendmentStep & { version: number };
      denied?: AmendmentStep;
      disagreement?: AmendmentStep;
      rebuttal?: AmendmentStep;
    };

export type KnownAmendmentRequest = Extract<AmendmentRequestState, { recordId: string }>;

/** The checks of a new request's fields; the shell runs them before it looks the record up. */
export function validateAmendmentRequest(c: { requestedChange: unknown; receivedAt: unknown }, today: string): void {
  new Validator()
    .check(isText(c.requestedChange, MAX_REQUESTED_CHANGE), 'requestedChange', textRule(MAX_REQUESTED_CHANGE))
    .check(isCalendarDate(c.receivedAt), 'receivedAt', CALENDAR_DATE_RULE)
    .check(!isCalendarDate(c.receivedAt) || c.receivedAt <= today.slice(0, 10), 'receivedAt', 'must not be in the future')
    .throwIfInvalid();
}

export const amendmentRequestDecider = {
  initialState: (): AmendmentRequestState => ({ status: 'absent' }),

  decide(command: AmendmentRequestCommand, state: AmendmentRequestState): AmendmentRequestEvent[] {
    switch (command.type) {
      case 'RegisterAmendmentRequest':
        return [register(command, state)];
      case 'AcceptAmendmentRequest':
        return [accept(command, state)];
      case 'DenyAmendmentRequest':
        return [deny(command, state)];
      case 'FileDisagreementStatement':
        return [fileDisagreement(command, state)];
      case 'FileRebuttalStatement':
        return [fileRebuttal(command, state)];
      default:
        return unhandled(command, 'command');
    }
  },

  evolve(state: AmendmentRequestState, event: AmendmentRequestEvent): AmendmentRequestState {
    switch (event.type) {
      case 'AmendmentRequestRegistered': {
        const d = event.data;
        return {
          status: 'received',
          requestId: d.requestId,
          recordId: d.recordId,
          requestedChange: d.requestedChange,
          receivedAt: d.receivedAt,
          dueAt: d.dueAt,
          registeredBy: d.registeredBy,
          registeredAt: d.registeredAt,
        };
      }
      case 'AmendmentRequestAccepted':
        if (state.status === 'absent') return state;
        return { ...state, status: 'accepted', accepted: { by: event.data.acceptedBy, at: event.data.acceptedAt, version: event.data.version } };
      case 'AmendmentRequestDenied':
        if (state.status === 'absent') return state;
        return { ...state, status: 'denied', denied: { by: event.data.deniedBy, at: event.data.deniedAt, statementId: event.data.statementId } };
      case 'DisagreementStatementFiled':
        if (state.status === 'absent') return state;
        return {
          ...state,
          status: 'disagreement-filed',
          disagreement: { by: event.data.filedBy, at: event.data.filedAt, statementId: event.data.statementId },
        };
      case 'RebuttalStatementFiled':
        if (state.status === 'absent') return state;
        return { ...state, status: 'rebuttal-filed', rebuttal: { by: event.data.filedBy, at: event.data.filedAt, statementId: event.data.statementId } };
      default:
        return unhandled(event, 'event');
    }
  },
} satisfies Decider<AmendmentRequestCommand, AmendmentRequestEvent, AmendmentRequestState>;

function register(c: RegisterAmendmentRequest, state: AmendmentRequestState): AmendmentRequestRegistered {
  if (state.status !== 'absent') throw new DomainError('conflict', 'An amendment request with this id already exists');
  validateAmendmentRequest(c, c.at);
  return {
    type: 'AmendmentRequestRegistered',
    data: {
      requestId: c.requestId,
      recordId: c.recordId,
      requestedChange: c.requestedChange,
      receivedAt: c.receivedAt,
      dueAt: amendmentDueAt(c.receivedAt),
      registeredBy: c.actor.username,
      registeredAt: c.at,
    },
  };
}

function requireKnown(state: AmendmentRequestState): KnownAmendmentRequest {
  if (state.status === 'absent') throw new DomainError('not-found', 'No such amendment request');
  return state;
}

/** Accepting and denying answer a request still open; once answered, neither may follow. */
function requireOpen(state: AmendmentRequestState, step: string): KnownAmendmentRequest {
  const request = requireKnown(state);
  if (request.status !== 'received')
    throw new DomainError('conflict', `The amendment request was already ${request.status === 'accepted' ? 'accepted' : 'denied'}: it cannot be ${step}`);
  return request;
}

function validateStatement(field: string, value: unknown): void {
  new Validator().check(isText(value, MAX_STATEMENT), field, textRule(MAX_STATEMENT)).throwIfInvalid();
}

function accept(c: AcceptAmendmentRequest, state: AmendmentRequestState): AmendmentRequestAccepted {
  const request = requireOpen(state, 'accepted');
  new Validator().check(Number.isInteger(c.version) && c.version >= 2, 'version', 'must be the number of the amended version (2 or more)').throwIfInvalid();
  return {
    type: 'AmendmentRequestAccepted',
    data: { requestId: request.requestId, recordId: request.recordId, version: c.version, acceptedBy: c.actor.username, acceptedAt: c.at },
  };
}

function deny(c: DenyAmendmentRequest, state: AmendmentRequestState): AmendmentRequestDenied {
  const request = requireOpen(state, 'denied');
  validateStatement('reason', c.reason);
  return {
    type: 'AmendmentRequestDenied',
    data: {
      requestId: request.requestId,
      recordId: request.recordId,
      statementId: amendmentStatementId(request.requestId, 'denial'),
      deniedBy: c.actor.username,
      deniedAt: c.at,
    },
  };
}

function fileDisagreement(c: FileDisagreementStatement, state: AmendmentRequestState): DisagreementStatementFiled {
  const request = requireKnown(state);
  if (request.status === 'received' || request.status === 'accepted') {
    throw new DomainError('conflict', 'A statement of disagreement may only follow a denial');
  }
  if (request.status !== 'denied') throw new DomainError('conflict', 'A statement of disagreement was already filed for this request');
  validateStatement('statement', c.statement);
  return {
    type: 'DisagreementStatementFiled',
    data: {
      requestId: request.requestId,
      recordId: request.recordId,
      statementId: amendmentStatementId(request.requestId, 'disagreement'),
      filedBy: c.actor.username,
      filedAt: c.at,
    },
  };
}

function fileRebuttal(c: FileRebuttalStatement, state: AmendmentRequestState): RebuttalStatementFiled {
  const request = requireKnown(state);
  if (request.status === 'rebuttal-filed') throw new DomainError('conflict', 'A rebuttal was already filed for this request');
  if (request.status !== 'disagreement-filed') throw new DomainError('conflict', "A rebuttal may only follow the patient's statement of disagreement");
  validateStatement('statement', c.statement);
  return {
    type: 'RebuttalStatementFiled',
    data: {
      requestId: request.requestId,
      recordId: request.recordId,
      statementId: amendmentStatementId(request.requestId, 'rebuttal'),
      filedBy: c.actor.username,
      filedAt: c.at,
    },
  };
}
