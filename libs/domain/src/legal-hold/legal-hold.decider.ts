import { type Decider, unhandled } from '../shared/decider';
import { DomainError } from '../shared/domain-error';
import type { Actor } from '../shared/roles';
import { atMost, isMrn, isText, MRN_RULE, Validator } from '../shared/validation';
import { MAX_MATTER, MAX_REASON } from '../record/record-limits';

/** The most records one matter hold may name by id (an MRN covers any number). */
export const MAX_HOLD_RECORD_IDS = 10_000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Stream of one matter hold; also the id of the data key that seals its matter, reason and MRN. */
export const legalHoldStream = (holdId: string): string => `legal-hold-${holdId}`;

interface MatterHoldCommandBase {
  holdId: string;
  actor: Actor;
  /** ISO 8601 time the command was received. */
  at: string;
}

/** One hold under a matter over records chosen by id and/or every record of a patient (MRN). */
export interface PlaceMatterHold extends MatterHoldCommandBase {
  type: 'PlaceMatterHold';
  matter: string;
  reason: string;
  /** The records named by id, and those of the MRN found when the hold is placed. */
  recordIds: string[];
  /** Records of this patient created later are held too, until the hold is lifted. */
  mrn?: string;
}

export interface LiftMatterHold extends MatterHoldCommandBase {
  type: 'LiftMatterHold';
}

/** The hold has been placed on every record it covers (the shell appends it once it has gone through them all). */
export interface CompleteMatterHoldPlacement extends MatterHoldCommandBase {
  type: 'CompleteMatterHoldPlacement';
}

export type MatterHoldCommand = PlaceMatterHold | LiftMatterHold | CompleteMatterHoldPlacement;

/** Appended to `legal-hold-<id>`; matter, reason and MRN sealed with the hold's own key. */
export interface MatterHoldPlaced {
  type: 'MatterHoldPlaced';
  data: { holdId: string; matter: string; reason: string; recordIds: string[]; mrn?: string; placedBy: string; placedAt: string };
}

export interface MatterHoldLifted {
  type: 'MatterHoldLifted';
  data: { holdId: string; liftedBy: string; liftedAt: string };
}

/**
 * Every record the hold covered when it was placed now holds it. A hold placed without this event
 * (the process died part way) is placed on its remaining records when the server starts again.
 */
export interface MatterHoldPlacementCompleted {
  type: 'MatterHoldPlacementCompleted';
  data: { holdId: string; completedAt: string };
}

export type MatterHoldEvent = MatterHoldPlaced | MatterHoldLifted | MatterHoldPlacementCompleted;

export const MATTER_HOLD_PHI_FIELDS: Record<MatterHoldEvent['type'], readonly string[]> = {
  MatterHoldPlaced: ['matter', 'reason', 'mrn'],
  MatterHoldLifted: [],
  MatterHoldPlacementCompleted: [],
};

export type MatterHoldState =
  | { status: 'absent' }
  | {
      status: 'active' | 'lifted';
      holdId: string;
      /** Undefined once the hold's key is gone. */
      matter: string | undefined;
      reason: string | undefined;
      mrn: string | undefined;
      recordIds: string[];
      placedBy: string;
      placedAt: string;
      /** Placed on every record it covered (MatterHoldPlacementCompleted). */
      placementCompleted?: boolean;
      liftedBy?: string;
      liftedAt?: string;
    };

/**
 * The checks of a new matter hold's fields: at least one record id or an MRN, ids that are UUIDs.
 * The shell runs them before it looks the records up, so bad input is refused before any work.
 */
export function validateMatterHold(c: { matter: unknown; reason: unknown; recordIds?: unknown; mrn?: unknown }): void {
  const ids = c.recordIds;
  const idsOk = ids === undefined || (Array.isArray(ids) && ids.length <= MAX_HOLD_RECORD_IDS && ids.every((id) => typeof id === 'string' && UUID.test(id)));
  new Validator()
    .check(isText(c.matter, MAX_MATTER), 'matter', `is required (${atMost(MAX_MATTER)})`)
    .check(isText(c.reason, MAX_REASON), 'reason', `is required (${atMost(MAX_REASON)})`)
    .check(idsOk, 'recordIds', `must be a list of at most ${MAX_HOLD_RECORD_IDS} record ids (UUIDs)`)
    .check(c.mrn === undefined || isMrn(c.mrn), 'mrn', MRN_RULE)
    .check((Array.isArray(ids) && ids.length > 0) || c.mrn !== undefined, 'recordIds', 'or mrn is required: name the records or the patient')
    .throwIfInvalid();
}

export const matterHoldDecider = {
  initialState: (): MatterHoldState => ({ status: 'absent' }),

  decide(command: MatterHoldCommand, state: MatterHoldState): MatterHoldEvent[] {
    switch (command.type) {
      case 'PlaceMatterHold':
        return [placeMatterHold(command, state)];
      case 'LiftMatterHold':
        return liftMatterHold(command, state);
      case 'CompleteMatterHoldPlacement':
        return completePlacement(command, state);
      default:
        return unhandled(command, 'command');
    }
  },

  evolve(state: MatterHoldState, event: MatterHoldEvent): MatterHoldState {
    switch (event.type) {
      case 'MatterHoldPlaced': {
        const d = event.data;
        return {
          status: 'active',
          holdId: d.holdId,
          matter: d.matter,
          reason: d.reason,
          mrn: d.mrn,
          recordIds: d.recordIds,
          placedBy: d.placedBy,
          placedAt: d.placedAt,
        };
      }
      case 'MatterHoldLifted':
        if (state.status === 'absent') return state;
        return { ...state, status: 'lifted', liftedBy: event.data.liftedBy, liftedAt: event.data.liftedAt };
      case 'MatterHoldPlacementCompleted':
        if (state.status === 'absent') return state;
        return { ...state, placementCompleted: true };
      default:
        return unhandled(event, 'event');
    }
  },
} satisfies Decider<MatterHoldCommand, MatterHoldEvent, MatterHoldState>;

function placeMatterHold(c: PlaceMatterHold, state: MatterHoldState): MatterHoldPlaced {
  if (state.status !== 'absent') throw new DomainError('conflict', 'A hold with this id already exists');
  validateMatterHold(c);
  return {
    type: 'MatterHoldPlaced',
    data: {
      holdId: c.holdId,
      matter: c.matter,
      reason: c.reason,
      recordIds: [...new Set(c.recordIds)],
      ...(c.mrn !== undefined ? { mrn: c.mrn } : {}),
      placedBy: c.actor.username,
      placedAt: c.at,
    },
  };
}

/** Lifting a lifted hold decides nothing: a lift interrupted part way is simply asked again. */
function liftMatterHold(c: LiftMatterHold, state: MatterHoldState): MatterHoldLifted[] {
  if (state.status === 'absent') throw new DomainError('not-found', 'No such legal hold');
  if (state.status === 'lifted') return [];
  return [{ type: 'MatterHoldLifted', data: { holdId: state.holdId, liftedBy: c.actor.username, liftedAt: c.at } }];
}

/** Once; a lifted hold has nothing left to place. */
function completePlacement(c: CompleteMatterHoldPlacement, state: MatterHoldState): MatterHoldPlacementCompleted[] {
  if (state.status === 'absent') throw new DomainError('not-found', 'No such legal hold');
  if (state.status === 'lifted' || state.placementCompleted) return [];
  return [{ type: 'MatterHoldPlacementCompleted', data: { holdId: state.holdId, completedAt: c.at } }];
}
