import { accessRecord, actors, RECORD_ID, recordAmended, times } from '../../testing';
import { decideAccess, foldRecord } from '../record.decider';
import { MAX_EMERGENCY_JUSTIFICATION } from '../../audit/emergency-access';
import { accessSpec, created, destroyedHistory } from './testing/record-spec-support';

const JUSTIFICATION = 'Unconscious patient in the emergency department; allergy history needed';

describe('recordDecider', () => {
  describe('decideAccess', () => {
    it('records who read which version, with which role and purpose', () => {
      accessSpec
        .given([created, recordAmended()])
        .when(accessRecord({ version: 2, what: 'text', purpose: 'treatment' }))
        .then([
          {
            type: 'RecordAccessed',
            data: {
              recordId: RECORD_ID,
              accessId: 'acc-0001',
              version: 2,
              what: 'text',
              purpose: 'treatment',
              actor: actors.clinician.username,
              role: 'clinician',
              at: times.accessed,
            },
          },
        ]);
    });

    it('records a read of the whole record with a null version', () => {
      const { version: _omitted, ...whole } = accessRecord({ what: 'record', actor: actors.him, purpose: 'operations' });
      accessSpec
        .given([created])
        .when(whole)
        .then([
          {
            type: 'RecordAccessed',
            data: {
              recordId: RECORD_ID,
              accessId: 'acc-0001',
              version: null,
              what: 'record',
              purpose: 'operations',
              actor: actors.him.username,
              role: 'him',
              at: times.accessed,
            },
          },
        ]);
    });

    it('refuses an unknown version', () => {
      accessSpec
        .given([created])
        .when(accessRecord({ version: 2 }))
        .thenThrows('not-found');
    });

    it('refuses a record that does not exist', () => {
      accessSpec.given([]).when(accessRecord()).thenThrows('not-found');
    });

    describe('break-the-glass (purpose emergency)', () => {
      it('keeps the justification, trimmed, on the access', () => {
        accessSpec
          .given([created])
          .when(accessRecord({ purpose: 'emergency', justification: `  ${JUSTIFICATION}\n` }))
          .then([
            {
              type: 'RecordAccessed',
              data: {
                recordId: RECORD_ID,
                accessId: 'acc-0001',
                version: 1,
                what: 'content',
                purpose: 'emergency',
                actor: actors.clinician.username,
                role: 'clinician',
                at: times.accessed,
                justification: JUSTIFICATION,
              },
            },
          ]);
      });

      it.each([
        ['missing', undefined],
        ['empty', ''],
        ['blank', ' \t '],
        ['over the limit', 'x'.repeat(MAX_EMERGENCY_JUSTIFICATION + 1)],
        ['with control characters', 'bleeding\u0000'],
      ])('refuses an emergency read whose justification is %s (invalid, naming the justification)', (_, justification) => {
        accessSpec
          .given([created])
          .when(accessRecord({ purpose: 'emergency', justification }))
          .thenThrows('invalid', 'justification');
      });

      it(`accepts a justification of exactly ${MAX_EMERGENCY_JUSTIFICATION} characters`, () => {
        const justification = 'y'.repeat(MAX_EMERGENCY_JUSTIFICATION);
        accessSpec
          .given([created])
          .when(accessRecord({ purpose: 'emergency', justification }))
          .thenState(() => undefined);
        expect(decideAccessOf({ purpose: 'emergency', justification }).data.justification).toBe(justification);
      });

      it('keeps no justification on a read for another purpose', () => {
        expect(decideAccessOf({ purpose: 'treatment', justification: JUSTIFICATION }).data).not.toHaveProperty('justification');
      });

      it('refuses an emergency read of a destroyed record (410), justified or not', () => {
        accessSpec
          .given(destroyedHistory)
          .when(accessRecord({ purpose: 'emergency', justification: JUSTIFICATION }))
          .thenThrows('gone');
      });
    });
  });
});

function decideAccessOf(overrides: Parameters<typeof accessRecord>[0]) {
  return decideAccess(accessRecord(overrides), foldRecord([created]));
}
