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

/** The sheet's pages became a record (the stacks work appends it when it files them). */
export interface UseCoverSheet extends CoverSheetCommandBase {
  type: 'UseCoverSheet';
  recordId: string;
  stackId?: string;
}

/** The longest reason a sheet is voided for (characters). */
export const MAX_VOID_REASON = 500;

/** A sheet printed by mistake or never used: it can no longer file pages. */
export interface VoidCoverSheet extends CoverSheetCommandBase {
  type: 'VoidCoverSheet';
  /** Why, in the clerk's words (may name the patient: sealed, and shredded with the sheet's details). */
  reason: string;
}

export type CoverSheetCommand = IssueCoverSheet | UseCoverSheet | VoidCoverSheet;

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

export type CoverSheetEvent = CoverSheetIssued | CoverSheetUsed | CoverSheetVoided;

/** Appended to `cover-sheet-access-<id>` before the details are returned: who read them, why, when. */
export interface CoverSheetAccessed {
  type: 'CoverSheetAccessed';
  data: { coverSheetId: string; accessId: string; accessedBy: string; role: string; purpose: string; accessedAt: string };
}

export const COVER_SHEET_PHI_FIELDS: Record<CoverSheetEvent['type'] | CoverSheetAccessed['type'], readonly string[]> = {
  CoverSheetIssued: ['mrn', 'patientName', 'dateOfBirth', 'title', 'encounterDate'],
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
    };

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

function use(command: UseCoverSheet, state: CoverSheetState): CoverSheetUsed {
  if (state.status === 'absent') throw new DomainError('not-found', 'No such cover sheet');
  // A sheet filed twice (photocopied, or a stack scanned again) must not file a second record.
  if (state.status === 'used') throw new DomainError('conflict', 'This cover sheet was already used', [], { recordId: state.recordId });
  if (state.status === 'voided') throw new DomainError('conflict', 'This cover sheet was voided');
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
  const { coverSheetId, reason, actor, at } = command;
  return [{ type: 'CoverSheetVoided', data: { coverSheetId, reason, voidedBy: actor.username, voidedAt: at } }];
}
