import { actors, archiveRecord, RECORD_ID, recordArchived, times } from '../../testing';
import { spec, created } from './testing/record-spec-support';

describe('recordDecider', () => {
  describe('ArchiveRecord', () => {
    it('archives the record', () => {
      spec
        .given([created])
        .when(archiveRecord())
        .then([
          {
            type: 'RecordArchived',
            data: {
              recordId: RECORD_ID,
              reason: 'Inactive for the retention review period',
              archivedBy: actors.archivist.username,
              archivedAt: times.archived,
            },
          },
        ]);
    });

    it('folds to an archived record', () => {
      spec
        .given([created])
        .when(archiveRecord())
        .thenState((state) => expect(state.status).toBe('archived'));
    });

    it('refuses to archive twice', () => {
      spec.given([created, recordArchived()]).when(archiveRecord()).thenThrows('conflict');
    });

    it.each(['', '   '])('requires a reason (%j is refused)', (reason) => {
      spec.given([created]).when(archiveRecord({ reason })).thenThrows('invalid', 'reason');
    });
  });
});
