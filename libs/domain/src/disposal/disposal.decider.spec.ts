import type { Actor } from '../shared/roles';
import { actors, deciderSpec } from '../testing';
import { DisposalEvent, disposalDecider, DisposalCommand } from './disposal.decider';

const BATCH = '0190a3c4-0000-7000-8000-0000000000b1';
const R1 = '0190a3c4-0000-7000-8000-0000000000a1';
const R2 = '0190a3c4-0000-7000-8000-0000000000a2';
const AT = '2026-01-05T10:00:00.000Z';
const archivist2 = { userId: 'u-0006', username: 'ada.archivist', role: 'archivist' as const };
const spec = deciderSpec(disposalDecider);

const proposed: DisposalEvent = {
  type: 'DisposalBatchProposed',
  data: { batchId: BATCH, asOf: '2025-12-31', authority: 'GS-12', included: [R1, R2], excluded: [], proposedBy: actors.archivist.username, proposedAt: AT },
};
const approved: DisposalEvent = {
  type: 'DisposalBatchApproved',
  data: { batchId: BATCH, approvedBy: archivist2.username, approverRole: 'archivist', approvedAt: AT },
};
const prepared = (recordId: string): DisposalEvent => ({
  type: 'DisposalRecordPrepared',
  data: { batchId: BATCH, recordId, mrn: 'MRN-1', documentType: 'other', from: '2001-01-01', to: '2001-01-01', versions: 1 },
});
const destroyed = (recordId: string): DisposalEvent => ({
  type: 'DisposalRecordDestroyed',
  data: { batchId: BATCH, recordId, destroyedBy: actors.archivist.username, destroyedAt: AT },
});
const cmd = <T extends DisposalCommand['type']>(type: T, extra: object = {}, actor: Actor = actors.archivist) =>
  ({ type, batchId: BATCH, actor, at: AT, ...extra }) as Extract<DisposalCommand, { type: T }>;
const complete = cmd('CompleteDisposal', { certificateId: 'c1', facility: 'medrec', sha256: 'a'.repeat(64) });

describe('disposalDecider', () => {
  it('proposes a batch', () => {
    spec
      .given([])
      .when(cmd('ProposeDisposalBatch', { asOf: '2025-12-31', authority: 'GS-12', included: [R1, R2, R1], excluded: [] }))
      .then([proposed]);
  });
  it.each([
    ['asOf', { asOf: '2024-02-30' }],
    ['authority', { authority: ' ' }],
  ])('refuses a bad %s', (field, bad) => {
    spec
      .given([])
      .when(cmd('ProposeDisposalBatch', { asOf: '2025-12-31', authority: 'GS-12', included: [], excluded: [], ...bad }))
      .thenThrows('invalid', field);
  });
  it('refuses the proposer as approver (403)', () => {
    spec.given([proposed]).when(cmd('ApproveDisposalBatch')).thenThrows('forbidden', 'someone other');
  });
  it('is approved by another archivist, once', () => {
    spec
      .given([proposed])
      .when(cmd('ApproveDisposalBatch', {}, archivist2))
      .then([approved]);
    spec
      .given([proposed, approved])
      .when(cmd('ApproveDisposalBatch', {}, { ...actors.him }))
      .then([]);
  });
  it('refuses execution before approval (409)', () => {
    spec
      .given([proposed])
      .when(cmd('RecordDisposalOutcomes', { destroyed: [R1], skipped: [] }))
      .thenThrows('conflict', 'not been approved');
    spec.given([proposed]).when(complete).thenThrows('conflict', 'not been approved');
  });
  it('counts a record once when an execution is resumed', () => {
    spec
      .given([proposed, approved, prepared(R1), destroyed(R1)])
      .when(cmd('RecordDisposalOutcomes', { destroyed: [R1], skipped: [] }))
      .then([]);
  });
  it('refuses a destruction whose certificate data was not recorded first', () => {
    spec
      .given([proposed, approved])
      .when(cmd('RecordDisposalOutcomes', { destroyed: [R1], skipped: [] }))
      .thenThrows('conflict', 'certificate');
  });
  it('completes once every record has an outcome, with one certificate; an executed batch refuses approval', () => {
    const skipped: DisposalEvent = { type: 'DisposalRecordSkipped', data: { batchId: BATCH, recordId: R2, reason: 'held', matter: 'M', skippedAt: AT } };
    spec
      .given([proposed, approved, prepared(R1)])
      .when(complete)
      .thenThrows('conflict', 'not been destroyed or skipped');
    const given = [proposed, approved, prepared(R1), destroyed(R1), skipped];
    spec
      .given(given)
      .when(complete)
      .thenState((s) => expect(s).toMatchObject({ status: 'executed', certificate: { certificateId: 'c1' } }));
    const executed = disposalDecider.decide(
      complete,
      given.reduce((s, e) => disposalDecider.evolve(s, e), disposalDecider.initialState()),
    );
    spec
      .given([...given, ...executed])
      .when(complete)
      .then([]);
    spec
      .given([...given, ...executed])
      .when(cmd('ApproveDisposalBatch', {}, actors.him))
      .thenThrows('conflict', 'already been executed');
  });
  it('folds many events at once to the state evolve reaches one at a time, leaving the given state as it was', () => {
    const skipped: DisposalEvent = { type: 'DisposalRecordSkipped', data: { batchId: BATCH, recordId: R2, reason: 'held', matter: 'M', skippedAt: AT } };
    const events = [proposed, approved, prepared(R1), destroyed(R1), skipped];
    const oneByOne = (from: number, to: number, state = disposalDecider.initialState()) =>
      events.slice(from, to).reduce((s, e) => disposalDecider.evolve(s, e), state);
    expect(disposalDecider.evolveAll(disposalDecider.initialState(), events)).toEqual(oneByOne(0, events.length));
    const midway = oneByOne(0, 3);
    const snapshot = structuredClone(midway);
    expect(disposalDecider.evolveAll(midway, events.slice(3))).toEqual(oneByOne(3, events.length, midway));
    expect(midway).toEqual(snapshot);
  });
});
