import { actors, RECORD_ID, recordAmended, recordArchived, recordReleased, releaseRecord, shredded, times } from '../../testing';
import { RECORD_PHI_FIELDS, type Recipient } from '../record.events';
import { spec, existing, created } from './testing/record-spec-support';

describe('recordDecider', () => {
  describe('ReleaseRecord', () => {
    it('records recipient, purpose, authorization, description and the current version by default', () => {
      spec
        .given([created, recordAmended()])
        .when(releaseRecord())
        .then([
          {
            type: 'RecordReleased',
            data: {
              recordId: RECORD_ID,
              releaseId: 'rel-0001',
              recipient: { name: 'Northside Insurance Claims Dept.', address: '1 Example Way, Springfield' },
              purpose: 'payment',
              authorizationReference: 'AUTH-2024-0117',
              versions: [2],
              description: 'Discharge summary for claim 88-1204',
              releasedBy: actors.him.username,
              releasedAt: times.released,
            },
          },
        ]);
    });

    it('treats an empty version list as the current version', () => {
      spec
        .given([created])
        .when(releaseRecord({ versions: [] }))
        .then([recordReleased({ versions: [1] })]);
    });

    it('deduplicates and sorts the versions asked for', () => {
      spec
        .given([created, recordAmended({ version: 2 }), recordAmended({ version: 3 })])
        .when(releaseRecord({ versions: [3, 1, 3, 1] }))
        .then([recordReleased({ versions: [1, 3] })]);
    });

    it.each([[[2]], [[0]], [[1, 7]], [[1.5]]])('refuses versions the record does not have: %j', (versions) => {
      spec.given([created]).when(releaseRecord({ versions })).thenThrows('invalid', 'versions');
    });

    it('leaves the address out when the recipient has none', () => {
      spec
        .given([created])
        .when(releaseRecord({ recipient: { name: 'Dr. Ada Example' } }))
        .then([recordReleased({ recipient: { name: 'Dr. Ada Example' } })]);
    });

    it.each([
      ['a blank recipient name', { recipient: { name: ' ' } }, 'recipient.name'],
      ['no recipient', { recipient: undefined as unknown as Recipient }, 'recipient.name'],
      ['a blank recipient address', { recipient: { name: 'Dr. Ada Example', address: '' } }, 'recipient.address'],
      ['no purpose', { purpose: '' }, 'purpose'],
      ['no authorization reference', { authorizationReference: '  ' }, 'authorizationReference'],
      ['no description', { description: '' }, 'description'],
    ])('refuses a release with %s', (_case, overrides, field) => {
      spec.given([created]).when(releaseRecord(overrides)).thenThrows('invalid', field);
    });

    it('seals the purpose with the record key: it is free text and may hold PHI', () => {
      expect(RECORD_PHI_FIELDS.RecordReleased).toContain('purpose');
      expect(shredded(recordReleased()).data).not.toHaveProperty('purpose');
    });

    it('adds the release to the record', () => {
      spec
        .given([created])
        .when(releaseRecord())
        .thenState((state) => expect(existing(state).releases).toEqual(['rel-0001']));
    });

    it('releases an archived record', () => {
      spec.given([created, recordArchived()]).when(releaseRecord()).then([recordReleased()]);
    });

    it('refuses to release a record that does not exist', () => {
      spec.given([]).when(releaseRecord()).thenThrows('not-found');
    });
  });
});
