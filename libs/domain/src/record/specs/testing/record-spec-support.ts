/** What the record decider's specs (one file per command) share. */
import { deciderSpec, destructionApproved, legalHoldLifted, legalHoldPlaced, RECORD_ID, recordCreated, recordDestroyed, times } from '../../../testing';
import { decideAccess, recordDecider } from '../../record.decider';
import type { AccessRecord } from '../../record.commands';
import type { RecordAccessed, RecordEvent } from '../../record.events';
import type { ExistingRecordState, RecordState } from '../../record.state';

export const spec = deciderSpec(recordDecider);

/** decideAccess seen as a decider, so reads are specified the same way as writes. Reads leave the record's state alone. */
export const accessSpec = deciderSpec<AccessRecord, RecordEvent | RecordAccessed, RecordState>({
  initialState: recordDecider.initialState,
  evolve: (state, event) => (event.type === 'RecordAccessed' ? state : recordDecider.evolve(state, event)),
  decide: (command, state) => [decideAccess(command, state)],
});

export function existing(state: RecordState): ExistingRecordState {
  if (state.status === 'absent') throw new Error('expected an existing record');
  return state;
}

export const created = recordCreated();
export const approved = destructionApproved();
export const destroyedHistory: RecordEvent[] = [created, legalHoldPlaced(), legalHoldLifted(), approved, recordDestroyed()];
export const tombstoneDetails = {
  id: RECORD_ID,
  recordStatus: 'destroyed',
  destroyedAt: times.destroyed,
  authority: 'Retention schedule RS-7, item 12',
};
