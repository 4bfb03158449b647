import { type Decider, unhandled } from '../shared/decider';
import { DomainError } from '../shared/domain-error';
import type { Actor } from '../shared/roles';
import { CALENDAR_DATE_RULE, isCalendarDate, isMrn, isText, MRN_RULE, textRule, Validator } from '../shared/validation';
import { MAX_AUTHORIZATION_REFERENCE, MAX_REASON, MAX_RECIPIENT_ADDRESS, MAX_RECIPIENT_NAME, MAX_RELEASE_PURPOSE } from '../record/record-limits';
import type { Recipient } from '../record/record.events';

/*
 * Release of information under the HIPAA right of access (45 CFR 164.524): a request is answered
 * within 30 days of its receipt, and every release it makes is accounted for (164.528) as a
 * RecordReleased on each released record's own stream, so the record decider stays the one
 * authority on disclosures and the accounting report lists it.
 */

/** Days the covered entity has to act on a request (164.524(b)(2)). */
export const RELEASE_REQUEST_DAYS = 30;
/** The most records one request may name. */
export const MAX_RELEASE_RECORD_IDS = 1000;
export const MAX_REQUESTER = MAX_RECIPIENT_NAME;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Stream of one request; also the id of the data key that seals its PHI and its package. */
export const releaseRequestStream = (requestId: string): string => `release-request-${requestId}`;

interface ReleaseRequestCommandBase {
  requestId: string;
  actor: Actor;
  /** ISO 8601 time the command was received. */
  at: string;
}

export interface ReleaseRequestFields {
  mrn: string;
  /** Who asked: the patient or their personal representative. */
  requester: string;
  recipient: Recipient;
  purpose: string;
  recordIds: string[];
  authorizationReference: string;
  /** YYYY-MM-DD: the last day the authorization is valid. */
  authorizationExpires: string;
  /** YYYY-MM-DD: the day the request was received (the 30 days run from it). */
  receivedAt: string;
}

export interface ReceiveReleaseRequest extends ReleaseRequestCommandBase, ReleaseRequestFields {
  type: 'ReceiveReleaseRequest';
}

/** What the shell found of a record in scope when it was about to build the package. */
export interface RecordInScope {
  recordId: string;
  status: 'absent' | 'active' | 'archived' | 'destroyed';
  /** The record's MRN (undefined when it could not be read). */
  mrn?: string;
}

/** One record's part of a package: the versions whose originals it holds. */
export interface PackagedRecord {
  recordId: string;
  versions: number[];
}

/** The package is built and stored: its releases may now be recorded on the records. */
export interface RecordReleasePackage extends ReleaseRequestCommandBase {
  type: 'RecordReleasePackage';
  /** The records as found before the package was built (the same facts the shell checked). */
  records: RecordInScope[];
  packageKey: string;
  /** Hex SHA-256 and size of the package (plaintext ZIP). */
  sha256: string;
  size: number;
  releases: PackagedRecord[];
}

/** Every record of the package has its RecordReleased: the request is answered. */
export interface CompleteReleaseRequest extends ReleaseRequestCommandBase {
  type: 'CompleteReleaseRequest';
}

export interface DenyReleaseRequest extends ReleaseRequestCommandBase {
  type: 'DenyReleaseRequest';
  reason: string;
}

/**
 * A record of the package was destroyed: the package (a copy of the record's content under the
 * request's key) has been deleted from the blob store, and this says so. What was released stays
 * accounted for on the records' streams; only the copy goes.
 */
export interface ShredReleasePackage extends ReleaseRequestCommandBase {
  type: 'ShredReleasePackage';
  /** The destroyed record that the package held. */
  recordId: string;
}

export type ReleaseRequestCommand = ReceiveReleaseRequest | RecordReleasePackage | CompleteReleaseRequest | DenyReleaseRequest | ShredReleasePackage;

/** Appended to `release-request-<id>`; its PHI sealed with the request's own key. */
export interface ReleaseRequestReceived {
  type: 'ReleaseRequestReceived';
  data: ReleaseRequestFields & { requestId: string; dueAt: string; registeredBy: string; registeredAt: string };
}

export interface ReleasePackageBuilt {
  type: 'ReleasePackageBuilt';
  data: { requestId: string; packageKey: string; sha256: string; size: number; releases: PackagedRecord[]; builtBy: string; builtAt: string };
}

export interface ReleaseRequestFulfilled {
  type: 'ReleaseRequestFulfilled';
  data: { requestId: string; fulfilledBy: string; fulfilledAt: string };
}

export interface ReleaseRequestDenied {
  type: 'ReleaseRequestDenied';
  data: { requestId: string; reason: string; deniedBy: string; deniedAt: string };
}

export interface ReleasePackageShredded {
  type: 'ReleasePackageShredded';
  data: { requestId: string; packageKey: string; recordId: string; reason: 'record-destroyed'; shreddedBy: string; shreddedAt: string };
}

export type ReleaseRequestEvent = ReleaseRequestReceived | ReleasePackageBuilt | ReleaseRequestFulfilled | ReleaseRequestDenied | ReleasePackageShredded;

export const RELEASE_REQUEST_PHI_FIELDS: Record<ReleaseRequestEvent['type'], readonly string[]> = {
  ReleaseRequestReceived: ['mrn', 'requester', 'recipient', 'purpose', 'authorizationReference'],
  ReleasePackageBuilt: [],
  ReleaseRequestFulfilled: [],
  ReleaseRequestDenied: ['reason'],
  ReleasePackageShredded: [],
};

export type ReleaseRequestStatus = 'open' | 'fulfilled' | 'denied';
export const RELEASE_REQUEST_STATUSES: readonly ReleaseRequestStatus[] = ['open', 'fulfilled', 'denied'];

export interface ReleasePackageState {
  packageKey: string;
  sha256: string;
  size: number;
  releases: PackagedRecord[];
  builtBy: string;
  builtAt: string;
  /** Set once the package was deleted because a record it held was destroyed. */
  shredded?: { recordId: string; at: string };
}

export type ReleaseRequestState =
  | { status: 'absent' }
  | (Omit<ReleaseRequestFields, 'mrn' | 'requester' | 'recipient' | 'purpose' | 'authorizationReference'> & {
      status: ReleaseRequestStatus;
      requestId: string;
      /** PHI: undefined once the request's key is gone. */
      mrn: string | undefined;
      requester: string | undefined;
      recipient: Recipient | undefined;
      purpose: string | undefined;
      authorizationReference: string | undefined;
      dueAt: string;
      registeredBy: string;
      registeredAt: string;
      /** Set once built: a fulfilment interrupted after it resumes with the same package. */
      package?: ReleasePackageState;
      fulfilledBy?: string;
      fulfilledAt?: string;
      deniedBy?: string;
      deniedAt?: string;
      denialReason?: string;
    });

export type ExistingReleaseRequest = Exclude<ReleaseRequestState, { status: 'absent' }>;

/** YYYY-MM-DD plus a number of days. */
export function addDays(day: string, days: number): string {
  const date = new Date(`${day}T00:00:00.000Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

/** The day a request received on `receivedAt` must be answered by. */
export const releaseDueAt = (receivedAt: string): string => addDays(receivedAt, RELEASE_REQUEST_DAYS);

/** Open and past its due day as of `today` (YYYY-MM-DD). */
export const isReleaseOverdue = (r: { status: ReleaseRequestStatus; dueAt: string }, today: string): boolean => r.status === 'open' && r.dueAt < today;

/** The checks of a new request's fields; the shell runs them before it looks the records up. */
export function validateReleaseRequest(c: Partial<Record<keyof ReleaseRequestFields, unknown>>, today: string): void {
  const ids = c.recordIds;
  const recipient = c.recipient as { name?: unknown; address?: unknown } | undefined;
  new Validator()
    .check(isMrn(c.mrn), 'mrn', MRN_RULE)
    .check(isText(c.requester, MAX_REQUESTER), 'requester', textRule(MAX_REQUESTER))
    .check(typeof recipient === 'object' && recipient !== null && isText(recipient.name, MAX_RECIPIENT_NAME), 'recipient.name', textRule(MAX_RECIPIENT_NAME))
    .check(recipient?.address === undefined || isText(recipient.address, MAX_RECIPIENT_ADDRESS), 'recipient.address', textRule(MAX_RECIPIENT_ADDRESS))
    .check(isText(c.purpose, MAX_RELEASE_PURPOSE), 'purpose', textRule(MAX_RELEASE_PURPOSE))
    .check(
      Array.isArray(ids) && ids.length > 0 && ids.length <= MAX_RELEASE_RECORD_IDS && ids.every((id) => typeof id === 'string' && UUID.test(id)),
      'recordIds',
      `must be a list of 1 to ${MAX_RELEASE_RECORD_IDS} record ids (UUIDs)`,
    )
    .check(isText(c.authorizationReference, MAX_AUTHORIZATION_REFERENCE), 'authorizationReference', textRule(MAX_AUTHORIZATION_REFERENCE))
    .check(isCalendarDate(c.authorizationExpires), 'authorizationExpires', CALENDAR_DATE_RULE)
    .check(isCalendarDate(c.receivedAt), 'receivedAt', CALENDAR_DATE_RULE)
    .check(!isCalendarDate(c.receivedAt) || c.receivedAt <= today, 'receivedAt', 'must not be in the future')
    .throwIfInvalid();
}

/**
 * Whether the request may be fulfilled now with the records as found: refused (409) when the
 * authorization expired before today, or when a record in scope is destroyed (or gone) or another
 * patient's. Messages name record ids only (not PHI). The shell asks before building the package;
 * the decider asks again on the same facts when the package is recorded.
 */
export function checkFulfilment(state: ExistingReleaseRequest, records: readonly RecordInScope[], at: string): void {
  if (state.status === 'denied') throw new DomainError('conflict', 'The release request was denied');
  const today = at.slice(0, 10);
  if (state.authorizationExpires < today) {
    throw new DomainError('conflict', `The authorization expired on ${state.authorizationExpires}: nothing can be released under it`, [], {
      reason: 'authorization-expired',
    });
  }
  const found = new Map(records.map((r) => [r.recordId, r]));
  const gone = state.recordIds.filter((id) => {
    const status = found.get(id)?.status;
    return status === undefined || status === 'absent' || status === 'destroyed';
  });
  if (gone.length > 0) {
    throw new DomainError('conflict', `Records in scope are destroyed: ${gone.join(', ')}`, [], { reason: 'record-destroyed', recordIds: gone });
  }
  // MRNs compare as the read models compare them: letters in any case.
  const mrn = state.mrn?.toUpperCase();
  const others = state.recordIds.filter((id) => mrn === undefined || found.get(id)?.mrn?.toUpperCase() !== mrn);
  if (others.length > 0) {
    throw new DomainError('conflict', `Records in scope belong to another patient: ${others.join(', ')}`, [], { reason: 'other-patient', recordIds: others });
  }
}

export const releaseRequestDecider = {
  initialState: (): ReleaseRequestState => ({ status: 'absent' }),

  decide(command: ReleaseRequestCommand, state: ReleaseRequestState): ReleaseRequestEvent[] {
    switch (command.type) {
      case 'ReceiveReleaseRequest':
        return [receive(command, state)];
      case 'RecordReleasePackage':
        return recordPackage(command, existing(state));
      case 'CompleteReleaseRequest':
        return complete(command, existing(state));
      case 'DenyReleaseRequest':
        return [deny(command, existing(state))];
      case 'ShredReleasePackage':
        return shredPackage(command, existing(state));
      default:
        return unhandled(command, 'command');
    }
  },

  evolve(state: ReleaseRequestState, event: ReleaseRequestEvent): ReleaseRequestState {
    switch (event.type) {
      case 'ReleaseRequestReceived': {
        const { requestId, dueAt, registeredBy, registeredAt, ...fields } = event.data;
        return { status: 'open', requestId, dueAt, registeredBy, registeredAt, ...fields };
      }
      case 'ReleasePackageBuilt': {
        if (state.status === 'absent') return state;
        const d = event.data;
        return {
          ...state,
          package: { packageKey: d.packageKey, sha256: d.sha256, size: d.size, releases: d.releases, builtBy: d.builtBy, builtAt: d.builtAt },
        };
      }
      case 'ReleaseRequestFulfilled':
        if (state.status === 'absent') return state;
        return { ...state, status: 'fulfilled', fulfilledBy: event.data.fulfilledBy, fulfilledAt: event.data.fulfilledAt };
      case 'ReleaseRequestDenied':
        if (state.status === 'absent') return state;
        return { ...state, status: 'denied', deniedBy: event.data.deniedBy, deniedAt: event.data.deniedAt, denialReason: event.data.reason };
      case 'ReleasePackageShredded':
        if (state.status === 'absent' || !state.package) return state;
        return { ...state, package: { ...state.package, shredded: { recordId: event.data.recordId, at: event.data.shreddedAt } } };
      default:
        return unhandled(event, 'event');
    }
  },
} satisfies Decider<ReleaseRequestCommand, ReleaseRequestEvent, ReleaseRequestState>;

function existing(state: ReleaseRequestState): ExistingReleaseRequest {
  if (state.status === 'absent') throw new DomainError('not-found', 'No such release request');
  return state;
}

function receive(c: ReceiveReleaseRequest, state: ReleaseRequestState): ReleaseRequestReceived {
  if (state.status !== 'absent') throw new DomainError('conflict', 'A release request with this id already exists');
  validateReleaseRequest(c, c.at.slice(0, 10));
  const recipient: Recipient = c.recipient.address !== undefined ? { name: c.recipient.name, address: c.recipient.address } : { name: c.recipient.name };
  return {
    type: 'ReleaseRequestReceived',
    data: {
      requestId: c.requestId,
      mrn: c.mrn,
      requester: c.requester,
      recipient,
      purpose: c.purpose,
      recordIds: [...new Set(c.recordIds)],
      authorizationReference: c.authorizationReference,
      authorizationExpires: c.authorizationExpires,
      receivedAt: c.receivedAt,
      dueAt: releaseDueAt(c.receivedAt),
      registeredBy: c.actor.username,
      registeredAt: c.at,
    },
  };
}

/** Recording a package again (a resumed fulfilment) decides nothing: the first package stands. */
function recordPackage(c: RecordReleasePackage, state: ExistingReleaseRequest): ReleaseRequestEvent[] {
  if (state.status === 'fulfilled' || state.package) return [];
  checkFulfilment(state, c.records, c.at);
  const inScope = new Set(state.recordIds);
  new Validator()
    .check(typeof c.packageKey === 'string' && c.packageKey.length > 0, 'packageKey', 'is required')
    .check(/^[0-9a-f]{64}$/.test(c.sha256), 'sha256', 'must be a hex SHA-256')
    .check(Number.isInteger(c.size) && c.size > 0, 'size', 'must be a positive number of bytes')
    .check(
      c.releases.length === inScope.size && c.releases.every((r) => inScope.has(r.recordId) && r.versions.length > 0),
      'releases',
      'must name every record in scope, each with its versions',
    )
    .throwIfInvalid();
  return [
    {
      type: 'ReleasePackageBuilt',
      data: {
        requestId: state.requestId,
        packageKey: c.packageKey,
        sha256: c.sha256,
        size: c.size,
        releases: c.releases.map((r) => ({ recordId: r.recordId, versions: [...new Set(r.versions)].sort((a, b) => a - b) })),
        builtBy: c.actor.username,
        builtAt: c.at,
      },
    },
  ];
}

/** Completing a fulfilled request decides nothing (fulfil is idempotent). */
function complete(c: CompleteReleaseRequest, state: ExistingReleaseRequest): ReleaseRequestEvent[] {
  if (state.status === 'fulfilled') return [];
  if (state.status === 'denied') throw new DomainError('conflict', 'The release request was denied');
  if (!state.package) throw new DomainError('conflict', 'The release package has not been built');
  return [{ type: 'ReleaseRequestFulfilled', data: { requestId: state.requestId, fulfilledBy: c.actor.username, fulfilledAt: c.at } }];
}

/** Only an open request with no package yet: once built, its releases may already be on the records. */
function deny(c: DenyReleaseRequest, state: ExistingReleaseRequest): ReleaseRequestDenied {
  if (state.status !== 'open') throw new DomainError('conflict', `The release request is already ${state.status}`);
  if (state.package) throw new DomainError('conflict', 'The release package is already built: finish the fulfilment instead');
  new Validator().check(isText(c.reason, MAX_REASON), 'reason', textRule(MAX_REASON)).throwIfInvalid();
  return { type: 'ReleaseRequestDenied', data: { requestId: state.requestId, reason: c.reason, deniedBy: c.actor.username, deniedAt: c.at } };
}

/**
 * Only a package that holds the record and is not yet shredded: shredding again, or for a record
 * the package does not hold, decides nothing (every node's shredder may ask).
 */
function shredPackage(c: ShredReleasePackage, state: ExistingReleaseRequest): ReleaseRequestEvent[] {
  const built = state.package;
  if (!built || built.shredded || !built.releases.some((r) => r.recordId === c.recordId)) return [];
  return [
    {
      type: 'ReleasePackageShredded',
      data: {
        requestId: state.requestId,
        packageKey: built.packageKey,
        recordId: c.recordId,
        reason: 'record-destroyed',
        shreddedBy: c.actor.username,
        shreddedAt: c.at,
      },
    },
  ];
}
