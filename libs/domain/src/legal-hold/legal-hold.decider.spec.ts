import { actors, deciderSpec } from '../testing';
import { CompleteMatterHoldPlacement, LiftMatterHold, MatterHoldEvent, matterHoldDecider, PlaceMatterHold } from './legal-hold.decider';

const HOLD = '0190a3c4-0000-7000-8000-000000000001';
const R1 = '0190a3c4-0000-7000-8000-0000000000a1';
const R2 = '0190a3c4-0000-7000-8000-0000000000a2';
const PLACED_AT = '2024-03-06T08:30:00.000Z';
const LIFTED_AT = '2024-04-01T12:00:00.000Z';

const spec = deciderSpec(matterHoldDecider);

const place = (overrides: Partial<PlaceMatterHold> = {}): PlaceMatterHold => ({
  type: 'PlaceMatterHold',
  holdId: HOLD,
  actor: actors.legal,
  at: PLACED_AT,
  matter: 'Doe v. General Hospital',
  reason: 'Preservation notice from counsel',
  recordIds: [R1, R2],
  ...overrides,
});

const lift = (): LiftMatterHold => ({ type: 'LiftMatterHold', holdId: HOLD, actor: actors.legal, at: LIFTED_AT });

const placed = (overrides: Partial<Extract<MatterHoldEvent, { type: 'MatterHoldPlaced' }>['data']> = {}): MatterHoldEvent => ({
  type: 'MatterHoldPlaced',
  data: {
    holdId: HOLD,
    matter: 'Doe v. General Hospital',
    reason: 'Preservation notice from counsel',
    recordIds: [R1, R2],
    placedBy: actors.legal.username,
    placedAt: PLACED_AT,
    ...overrides,
  },
});

const lifted: MatterHoldEvent = { type: 'MatterHoldLifted', data: { holdId: HOLD, liftedBy: actors.legal.username, liftedAt: LIFTED_AT } };

describe('matterHoldDecider', () => {
  describe('placing', () => {
    it('places a hold over records named by id', () => {
      spec.given([]).when(place()).then([placed()]);
    });

    it('places a hold over a patient, with the records found and the MRN', () => {
      spec
        .given([])
        .when(place({ recordIds: [R1], mrn: 'MRN-0042' }))
        .then([placed({ recordIds: [R1], mrn: 'MRN-0042' })]);
    });

    it('places a hold over a patient with no records yet (those created later are held)', () => {
      spec
        .given([])
        .when(place({ recordIds: [], mrn: 'MRN-0042' }))
        .thenState((state) => expect(state).toMatchObject({ status: 'active', mrn: 'MRN-0042', recordIds: [] }));
    });

    it('names each record once', () => {
      spec
        .given([])
        .when(place({ recordIds: [R1, R1, R2] }))
        .then([placed()]);
    });

    it.each([
      ['matter', { matter: ' ' }],
      ['reason', { reason: '' }],
      ['recordIds', { recordIds: [] }],
      ['recordIds', { recordIds: ['not-a-uuid'] }],
      ['mrn', { mrn: 'no spaces allowed!' }],
    ])('refuses a bad %s', (field, overrides) => {
      spec.given([]).when(place(overrides)).thenThrows('invalid', field);
    });

    it('refuses a second placement of the same hold', () => {
      spec.given([placed()]).when(place()).thenThrows('conflict', 'already exists');
    });
  });

  describe('lifting', () => {
    it('lifts an active hold', () => {
      spec.given([placed()]).when(lift()).then([lifted]);
    });

    it('decides nothing for a hold already lifted (a lift interrupted part way is asked again)', () => {
      spec.given([placed(), lifted]).when(lift()).then([]);
    });

    it('refuses to lift an unknown hold', () => {
      spec.given([]).when(lift()).thenThrows('not-found', 'No such legal hold');
    });

    it('keeps who placed and who lifted it', () => {
      spec
        .given([placed()])
        .when(lift())
        .thenState((state) =>
          expect(state).toMatchObject({
            status: 'lifted',
            placedBy: actors.legal.username,
            liftedBy: actors.legal.username,
            liftedAt: LIFTED_AT,
            recordIds: [R1, R2],
          }),
        );
    });
  });

  describe('completing a placement (every covered record holds it)', () => {
    const COMPLETED_AT = '2024-03-06T08:30:02.000Z';
    const complete = (): CompleteMatterHoldPlacement => ({ type: 'CompleteMatterHoldPlacement', holdId: HOLD, actor: actors.legal, at: COMPLETED_AT });
    const completed: MatterHoldEvent = { type: 'MatterHoldPlacementCompleted', data: { holdId: HOLD, completedAt: COMPLETED_AT } };

    it('records it once', () => {
      spec.given([placed()]).when(complete()).then([completed]);
      spec
        .given([placed()])
        .when(complete())
        .thenState((state) => expect(state).toMatchObject({ status: 'active', placementCompleted: true }));
      spec.given([placed(), completed]).when(complete()).then([]);
    });

    it('a placement not completed is known as such', () => {
      spec
        .given([])
        .when(place())
        .thenState((state) => expect(state).not.toHaveProperty('placementCompleted'));
    });

    it('decides nothing for a lifted hold, and refuses an unknown one', () => {
      spec.given([placed(), lifted]).when(complete()).then([]);
      spec.given([]).when(complete()).thenThrows('not-found', 'No such legal hold');
    });
  });

  it('stops the fold at an event type it does not know', () => {
    expect(() => matterHoldDecider.evolve(matterHoldDecider.initialState(), { type: 'Unknown' } as never)).toThrow('Unknown event type "Unknown"');
  });
});
