import { accessRecord, actors, RECORD_ID, recordAmended, times } from '../../testing';
import { accessSpec, created } from './testing/record-spec-support';

describe('recordDecider', () => {
  describe('decideAccess', () => {
    it('records who read which version, with which role and purpose', () => {
      accessSpec
        .given([created, recordAmended()])
        .when(accessRecord({ version: 2, what: 'text', purpose: 'emergency' }))
        .then([
          {
            type: 'RecordAccessed',
            data: {
              recordId: RECORD_ID,
              accessId: 'acc-0001',
              version: 2,
              what: 'text',
              purpose: 'emergency',
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
  });
});
