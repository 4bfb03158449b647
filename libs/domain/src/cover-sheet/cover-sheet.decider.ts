import { type Decider, unhandled } from '../shared/decider';
import { DomainError } from '../shared/domain-error';
import type { Actor } from '../shared/roles';
import { CALENDAR_DATE_RULE, isCalendarDate, isMrn, isPersonName, isText, MRN_RULE, PERSON_NAME_RULE, textRule, Validator } from '../shared/validation';
import { DOCUMENT_TYPES, isDocumentType } from '../record/document-type';
import { MAX_TITLE } from '../record/record-limits';

/**
 * A cover sheet: printed before a scan, put on top of a document in the scanner's stack, and read
 * back from its QR code to file the pages behind it. Its stream holds the document's metadata,
 * sealed with the sheet's own key (key id = stream name). Once used for a record, or voided, the
 * shell destroys that key: the details then live in the record alone, so destroying the record
 * shreds them everywhere.
 */
export const coverSheetStream = (coverSheetId: string): string => `cover-sheet-${coverSheetId}`;
/** Reads of a sheet's details, kept apart so that loading the sheet never costs O(reads). */
export const coverSheetAccessStream = (coverSheetId: string): string => `cover-sheet-access-${coverSheetId}`;

/** The metadata a record made from the sheet's pages is created with (as in POST /api/records). */
export interface CoverSheetDetails {
  mrn: string;
  patientName: string;
  dateOfBirth: string;
  documentType: string;
  title?: string;
  encounterDate?: string;
}

interface CoverSheetCommandBase {
  coverSheetId: string;
  actor: Actor;
  /** ISO 8601 time the command was received. */
  at: string;
}

export interface IssueCoverSheet extends CoverSheetCommandBase, CoverSheetDetails {
  type: 'IssueCoverSheet';
  /** The sheets printed together (a CSV batch) share it. */
  batchId?: string;
}

/**
 * Who holds a claim on a sheet: the split of a stack (`stackId`), or a clerk's review item being
 * assigned to the sheet (`reviewItemId`). Exactly one of the two.
 */
export type CoverSheetClaimant = { stackId: string; reviewItemId?: undefined } | { reviewItemId: string; stackId?: undefined };

/**
 * Reserves an issued sheet for the one filing that will use it, before anything is filed under it:
 * two stacks holding the same paper sheet (or a stack and a review) cannot both file a record.
 */
export type ClaimCoverSheet = CoverSheetCommandBase & CoverSheetClaimant & { type: 'ClaimCoverSheet' };

/** Why a claim is given back. */
export const CLAIM_RELEASE_REASONS = ['stack-failed', 'filing-failed'] as const;
export type ClaimReleaseReason = (typeof CLAIM_RELEASE_REASONS)[number];

/** The claimant will not use the sheet after all (its stack failed for good, the review's filing was refused). */
export type ReleaseCoverSheetClaim = CoverSheetCommandBase & CoverSheetClaimant & { type: 'ReleaseCoverSheetClaim'; reason: ClaimReleaseReason };

/**
 * The sheet's pages became a record (the stacks work appends it when it files them). `stackId`
 * names the stack the pages came from; a claimed sheet is used only by its claimant: the split of
 * that stack (no `reviewItemId`) or that review item.
 */
export interface UseCoverSheet extends CoverSheetCommandBase {
  type: 'UseCoverSheet';
  recordId: string;
  stackId?: string;
  reviewItemId?: string;
}

/** The longest reason a sheet is voided for (characters). */
export const MAX_VOID_REASON = 500;

/** A sheet printed by mistake or never used: it can no longer file pages. */
export interface VoidCoverSheet extends CoverSheetCommandBase {
  type: 'VoidCoverSheet';
  /** Why, in the clerk's words (may name the patient: sealed, and shredded with the sheet's details). */
  reason: string;
}

export type CoverSheetCommand = IssueCoverSheet | ClaimCoverSheet | ReleaseCoverSheetClaim | UseCoverSheet | VoidCoverSheet;

export interface CoverSheetIssued {
  type: 'CoverSheetIssued';
  data: CoverSheetDetails & { coverSheetId: string; batchId?: string; issuedBy: string; issuedAt: string };
}

export interface CoverSheetUsed {
  type: 'CoverSheetUsed';
  data: { coverSheetId: string; recordId: string; stackId?: string; usedBy: string; usedAt: string };
}

export interface CoverSheetVoided {
  type: 'CoverSheetVoided';
  /** `reason` is absent from sheets voided before a reason was asked for, and once the sheet's key is destroyed. */
  data: { coverSheetId: string; reason?: string; voidedBy: string; voidedAt: string };
}

export interface CoverSheetClaimed {
  type: 'CoverSheetClaimed';
  data: { coverSheetId: string; stackId?: string; reviewItemId?: string; claimedBy: string; claimedAt: string };
}

export interface CoverSheetClaimReleased {
  type: 'CoverSheetClaimReleased';
  data: { coverSheetId: string; stackId?: string; reviewItemId?: string; reason: ClaimReleaseReason; releasedBy: string; releasedAt: string };
}

export type CoverSheetEvent = CoverSheetIssued | CoverSheetClaimed | CoverSheetClaimReleased | CoverSheetUsed | CoverSheetVoided;

/** Appended to `cover-sheet-access-<id>` before the details are returned: who read them, why, when. */
export interface CoverSheetAccessed {
  type: 'CoverSheetAccessed';
  data: { coverSheetId: string; accessId: string; accessedBy: string; role: string; purpose: string; accessedAt: string };
}

export const COVER_SHEET_PHI_FIELDS: Record<CoverSheetEvent['type'] | CoverSheetAccessed['type'], readonly string[]> = {
  CoverSheetIssued: ['mrn', 'patientName', 'dateOfBirth', 'title', 'encounterDate'],
  CoverSheetClaimed: [],
  CoverSheetClaimReleased: [],
  CoverSheetUsed: [],
  CoverSheetVoided: ['reason'],
  CoverSheetAccessed: [],
};

export type CoverSheetState =
  | { status: 'absent' }
  | {
      status: 'issued' | 'used' | 'voided';
      coverSheetId: string;
      documentType: string;
      /** Undefined once the sheet's key is gone (used or voided: shredded). */
      details: CoverSheetDetails | undefined;
      batchId?: string;
      issuedBy: string;
      issuedAt: string;
      recordId?: string;
      stackId?: string;
      usedBy?: string;
      usedAt?: string;
      voidedBy?: string;
      voidedAt?: string;
      /** Read only until the sheet's key is destroyed (right after the void). */
      voidReason?: string;
      /** The filing the sheet is reserved for while `issued` (kept, as a record of it, once used). */
      claim?: CoverSheetClaim;
    };

export type CoverSheetClaim = CoverSheetClaimant & { claimedBy: string; claimedAt: string };

export type ExistingCoverSheetState = Exclude<CoverSheetState, { status: 'absent' }>;

/**
 * The checks of a cover sheet's details, with the records upload's rules: the HTTP layer and a CSV
 * batch run them on every row before anything is issued.
 */
export function validateCoverSheetDetails(c: Partial<Record<keyof CoverSheetDetails, unknown>>): void {
  new Validator()
    .check(isMrn(c.mrn), 'mrn', MRN_RULE)
    .check(isPersonName(c.patientName), 'patientName', PERSON_NAME_RULE)
    .check(isCalendarDate(c.dateOfBirth), 'dateOfBirth', CALENDAR_DATE_RULE)
    .check(isDocumentType(c.documentType), 'documentType', `must be one of ${DOCUMENT_TYPES.join(', ')}`)
    .check(c.title === undefined || isText(c.title, MAX_TITLE), 'title', textRule(MAX_TITLE))
    .check(c.encounterDate === undefined || isCalendarDate(c.encounterDate), 'encounterDate', CALENDAR_DATE_RULE)
    .throwIfInvalid();
}

export const coverSheetDecider = {
  initialState: (): CoverSheetState => ({ status: 'absent' }),

  decide(command: CoverSheetCommand, state: CoverSheetState): CoverSheetEvent[] {
    switch (command.type) {
      case 'IssueCoverSheet':
        return [issue(command, state)];
      case 'ClaimCoverSheet':
        return claim(command, state);
      case 'ReleaseCoverSheetClaim':
        return release(command, state);
      case 'UseCoverSheet':
        return [use(command, state)];
      case 'VoidCoverSheet':
        return voidSheet(command, state);
      default:
        return unhandled(command, 'command');
    }
  },

  evolve(state: CoverSheetState, event: CoverSheetEvent): CoverSheetState {
    switch (event.type) {
      case 'CoverSheetIssued': {
        const { coverSheetId, batchId, issuedBy, issuedAt, mrn, patientName, dateOfBirth, documentType, title, encounterDate } = event.data;
        // Read without its key (shredded), the event has no PHI fields left.
        const details =
          mrn === undefined
            ? undefined
            : {
                mrn,
                patientName,
                dateOfBirth,
                documentType,
                ...(title !== undefined ? { title } : {}),
                ...(encounterDate !== undefined ? { encounterDate } : {}),
              };
        return { status: 'issued', coverSheetId, documentType, details, ...(batchId !== undefined ? { batchId } : {}), issuedBy, issuedAt };
      }
      case 'CoverSheetClaimed': {
        if (state.status === 'absent') return state;
        const { claimedBy, claimedAt } = event.data;
        return { ...state, claim: { ...claimantOf(event.data), claimedBy, claimedAt } };
      }
      case 'CoverSheetClaimReleased': {
        if (state.status === 'absent') return state;
        const { claim: _released, ...unclaimed } = state;
        return unclaimed;
      }
      case 'CoverSheetUsed': {
        if (state.status === 'absent') return state;
        const { recordId, stackId, usedBy, usedAt } = event.data;
        return { ...state, status: 'used', recordId, ...(stackId !== undefined ? { stackId } : {}), usedBy, usedAt };
      }
      case 'CoverSheetVoided':
        if (state.status === 'absent') return state;
        return {
          ...state,
          status: 'voided',
          voidedBy: event.data.voidedBy,
          voidedAt: event.data.voidedAt,
          ...(event.data.reason !== undefined ? { voidReason: event.data.reason } : {}),
        };
      default:
        return unhandled(event, 'event');
    }
  },
} satisfies Decider<CoverSheetCommand, CoverSheetEvent, CoverSheetState>;

function issue(command: IssueCoverSheet, state: CoverSheetState): CoverSheetIssued {
  if (state.status !== 'absent') throw new DomainError('conflict', 'This cover sheet was already issued');
  validateCoverSheetDetails(command);
  const { coverSheetId, batchId, actor, at, mrn, patientName, dateOfBirth, documentType, title, encounterDate } = command;
  return {
    type: 'CoverSheetIssued',
    data: {
      coverSheetId,
      mrn,
      patientName,
      dateOfBirth,
      documentType,
      ...(title !== undefined ? { title } : {}),
      ...(encounterDate !== undefined ? { encounterDate } : {}),
      ...(batchId !== undefined ? { batchId } : {}),
      issuedBy: actor.username,
      issuedAt: at,
    },
  };
}

/** The claimant an event or command names (the split of a stack, or a review item). */
function claimantOf(c: { stackId?: string; reviewItemId?: string }): CoverSheetClaimant {
  return c.reviewItemId !== undefined ? { reviewItemId: c.reviewItemId } : { stackId: c.stackId! };
}

const sameClaimant = (a: CoverSheetClaimant, b: CoverSheetClaimant): boolean =>
  a.reviewItemId !== undefined ? a.reviewItemId === b.reviewItemId : b.reviewItemId === undefined && a.stackId === b.stackId;

/** 409 naming who holds the claim (ids only): the caller can tell a live stack from a failed one. */
const claimedConflict = (claim: CoverSheetClaim): DomainError =>
  new DomainError('conflict', 'This cover sheet is claimed by another filing, which may still file its pages', [], { ...claimantOf(claim) });

/** A sheet that can no longer file anything: 404 unknown, 409 used (naming its record) or voided. */
function requireIssued(state: CoverSheetState): asserts state is ExistingCoverSheetState & { status: 'issued' } {
  if (state.status === 'absent') throw new DomainError('not-found', 'No such cover sheet');
  // A sheet filed twice (photocopied, or a stack scanned again) must not file a second record.
  if (state.status === 'used') throw new DomainError('conflict', 'This cover sheet was already used', [], { recordId: state.recordId });
  if (state.status === 'voided') throw new DomainError('conflict', 'This cover sheet was voided');
}

/**
 * Claiming is idempotent for the same claimant (a split retried, on this node or another, claims
 * again): nothing appended. Another claimant's claim is a 409 until it is released.
 */
function claim(command: ClaimCoverSheet, state: CoverSheetState): CoverSheetClaimed[] {
  requireIssued(state);
  const claimant = claimantOf(command);
  if (state.claim) {
    if (sameClaimant(state.claim, claimant)) return [];
    throw claimedConflict(state.claim);
  }
  return [{ type: 'CoverSheetClaimed', data: { coverSheetId: command.coverSheetId, ...claimant, claimedBy: command.actor.username, claimedAt: command.at } }];
}

/** Gives a claim back; a claim held by someone else, or none, is left as it is (a release retried). */
function release(command: ReleaseCoverSheetClaim, state: CoverSheetState): CoverSheetClaimReleased[] {
  if (state.status === 'absent') throw new DomainError('not-found', 'No such cover sheet');
  const claimant = claimantOf(command);
  if (state.status !== 'issued' || !state.claim || !sameClaimant(state.claim, claimant)) return [];
  const { coverSheetId, reason, actor, at } = command;
  return [{ type: 'CoverSheetClaimReleased', data: { coverSheetId, ...claimant, reason, releasedBy: actor.username, releasedAt: at } }];
}

function use(command: UseCoverSheet, state: CoverSheetState): CoverSheetUsed {
  requireIssued(state);
  // An unclaimed sheet (a stack planned before claims existed) is used as before.
  if (state.claim && !sameClaimant(state.claim, claimantOf(command))) throw claimedConflict(state.claim);
  const { coverSheetId, recordId, stackId, actor, at } = command;
  return { type: 'CoverSheetUsed', data: { coverSheetId, recordId, ...(stackId !== undefined ? { stackId } : {}), usedBy: actor.username, usedAt: at } };
}

/**
 * Voiding is idempotent: a sheet already voided stays as it was (first voider, time and reason), so a
 * clerk's retry after a lost answer succeeds. A used sheet filed a record: voiding it would hide that.
 */
function voidSheet(command: VoidCoverSheet, state: CoverSheetState): CoverSheetVoided[] {
  new Validator().check(isText(command.reason, MAX_VOID_REASON), 'reason', textRule(MAX_VOID_REASON)).throwIfInvalid();
  if (state.status === 'absent') throw new DomainError('not-found', 'No such cover sheet');
  if (state.status === 'used') throw new DomainError('conflict', 'A cover sheet already used cannot be voided', [], { recordId: state.recordId });
  if (state.status === 'voided') return [];
  // Its claimant may have filed a record under it already: voiding now would leave that record's sheet unused.
  if (state.claim) throw claimedConflict(state.claim);
  const { coverSheetId, reason, actor, at } = command;
  return [{ type: 'CoverSheetVoided', data: { coverSheetId, reason, voidedBy: actor.username, voidedAt: at } }];
}
