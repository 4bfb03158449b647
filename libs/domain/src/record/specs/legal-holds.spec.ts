import { actors, legalHoldLifted, legalHoldPlaced, liftLegalHold, placeLegalHold, RECORD_ID, recordArchived, times } from '../../testing';
import { foldRecord } from '../record.decider';
import { spec, existing, created } from './testing/record-spec-support';

describe('recordDecider', () => {
  describe('legal holds', () => {
    it('places a hold', () => {
      spec
        .given([created])
        .when(placeLegalHold())
        .then([
          {
            type: 'LegalHoldPlaced',
            data: {
              recordId: RECORD_ID,
              holdId: 'hold-1',
              matter: 'Doe v. General Hospital',
              reason: 'Litigation hold requested by counsel',
              placedBy: actors.legal.username,
              placedAt: times.holdPlaced,
            },
          },
        ]);
    });

    it('places a hold on an archived record', () => {
      spec.given([created, recordArchived()]).when(placeLegalHold()).then([legalHoldPlaced()]);
    });

    it.each([
      ['matter', { matter: ' ' }],
      ['reason', { reason: '' }],
    ])('requires a %s', (field, overrides) => {
      spec.given([created]).when(placeLegalHold(overrides)).thenThrows('invalid', field);
    });

    it('refuses a second hold with the same id', () => {
      spec
        .given([created, legalHoldPlaced()])
        .when(placeLegalHold({ matter: 'Another matter' }))
        .thenThrows('conflict');
    });

    it('lifts a hold', () => {
      spec
        .given([created, legalHoldPlaced()])
        .when(liftLegalHold())
        .then([
          {
            type: 'LegalHoldLifted',
            data: { recordId: RECORD_ID, holdId: 'hold-1', liftedBy: actors.legal.username, liftedAt: times.holdLifted },
          },
        ]);
    });

    it('refuses to lift a hold the record does not have', () => {
      spec
        .given([created, legalHoldPlaced()])
        .when(liftLegalHold({ holdId: 'hold-9' }))
        .thenThrows('not-found');
    });

    it('refuses to lift a hold twice', () => {
      spec.given([created, legalHoldPlaced(), legalHoldLifted()]).when(liftLegalHold()).thenThrows('not-found');
    });

    it('keeps the holds that stand in the state', () => {
      const state = existing(
        foldRecord([
          created,
          legalHoldPlaced({ holdId: 'hold-1' }),
          legalHoldPlaced({ holdId: 'hold-2', matter: 'Audit 2024' }),
          legalHoldLifted({ holdId: 'hold-1' }),
        ]),
      );
      expect(state.holds).toEqual([{ holdId: 'hold-2', matter: 'Audit 2024' }]);
    });
  });
});
