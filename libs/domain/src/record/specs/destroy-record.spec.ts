import {
  accessRecord,
  actors,
  amendedContent,
  amendRecord,
  approveDestruction,
  archiveRecord,
  completeOcr,
  createRecord,
  destroyRecord,
  destructionApproved,
  failOcr,
  legalHoldLifted,
  legalHoldPlaced,
  liftLegalHold,
  placeLegalHold,
  RECORD_ID,
  recordAmended,
  recordArchived,
  recordDestroyed,
  recordReleased,
  releaseRecord,
  times,
} from '../../testing';
import { foldRecord } from '../record.decider';
import type { RecordCommand } from '../record.commands';
import { spec, accessSpec, existing, created, approved, destroyedHistory, tombstoneDetails } from './testing/record-spec-support';

describe('recordDecider', () => {
  describe('DestroyRecord', () => {
    it('destroys an approved record without holds, keeping who, when, who approved and under which authority', () => {
      spec
        .given([created, approved])
        .when(destroyRecord())
        .then([
          {
            type: 'RecordDestroyed',
            data: {
              recordId: RECORD_ID,
              authority: 'Retention schedule RS-7, item 12',
              approvedBy: actors.him.username,
              destroyedBy: actors.archivist.username,
              destroyedAt: times.destroyed,
            },
          },
        ]);
    });

    it('destroys an approved archived record', () => {
      spec.given([created, recordArchived(), approved]).when(destroyRecord()).then([recordDestroyed()]);
    });

    it('refuses when the person named has not approved', () => {
      spec.given([created]).when(destroyRecord()).thenThrows('conflict', 'has not approved');
    });

    it('refuses when only someone else approved', () => {
      spec
        .given([created, destructionApproved({ approvedBy: 'another.archivist', approverRole: 'archivist' })])
        .when(destroyRecord())
        .thenThrows('conflict', 'has not approved');
    });

    it('refuses when the approval was given before the record was amended (it covers the record as it stood)', () => {
      spec.given([created, approved, recordAmended()]).when(destroyRecord()).thenThrows('conflict', 'has not approved');
    });

    it('destroys once the amended record is approved again', () => {
      spec
        .given([created, approved, recordAmended(), destructionApproved({ approvalId: 'appr-0002', version: 2 })])
        .when(destroyRecord())
        .then([recordDestroyed()]);
    });

    it('refuses an authority other than the one approved', () => {
      spec
        .given([created, approved])
        .when(destroyRecord({ authority: 'Retention schedule RS-9' }))
        .thenThrows('conflict', 'authority differs');
    });

    it('matches the approver by username whatever the case and surrounding spaces, recording the approver as approved', () => {
      spec
        .given([created, approved])
        .when(destroyRecord({ approvedBy: ` ${actors.him.username.toUpperCase()} ` }))
        .then([recordDestroyed()]);
    });

    it('refuses self-approval: the approver is the person destroying', () => {
      spec
        .given([created, destructionApproved({ approvedBy: actors.archivist.username, approverRole: 'archivist' })])
        .when(destroyRecord({ approvedBy: actors.archivist.username }))
        .thenThrows('conflict', 'approved by someone other');
    });

    it('refuses while a hold stands, even when approved', () => {
      spec.given([created, approved, legalHoldPlaced()]).when(destroyRecord()).thenThrows('conflict', 'legal hold');
    });

    it('refuses while any hold stands, even when another was lifted', () => {
      spec
        .given([created, approved, legalHoldPlaced({ holdId: 'hold-1' }), legalHoldPlaced({ holdId: 'hold-2' }), legalHoldLifted({ holdId: 'hold-1' })])
        .when(destroyRecord())
        .thenThrows('conflict', 'legal hold');
    });

    it('allows destruction once every hold is lifted', () => {
      spec
        .given([
          created,
          approved,
          legalHoldPlaced({ holdId: 'hold-1' }),
          legalHoldPlaced({ holdId: 'hold-2' }),
          legalHoldLifted({ holdId: 'hold-2' }),
          legalHoldLifted({ holdId: 'hold-1' }),
        ])
        .when(destroyRecord())
        .then([recordDestroyed()]);
    });

    it.each([
      ['authority', { authority: ' ' }],
      ['approvedBy', { approvedBy: '' }],
    ])('requires %s', (field, overrides) => {
      spec.given([created, approved]).when(destroyRecord(overrides)).thenThrows('invalid', field);
    });

    it('refuses to destroy a record that does not exist', () => {
      spec.given([]).when(destroyRecord()).thenThrows('not-found');
    });

    describe('after destruction', () => {
      const everyCommand: [string, RecordCommand][] = [
        ['CreateRecord', createRecord()],
        ['AmendRecord', amendRecord()],
        ['CompleteOcr', completeOcr()],
        ['FailOcr', failOcr()],
        ['ReleaseRecord', releaseRecord()],
        ['PlaceLegalHold', placeLegalHold({ holdId: 'hold-2' })],
        ['LiftLegalHold', liftLegalHold()],
        ['ArchiveRecord', archiveRecord()],
        ['ApproveDestruction', approveDestruction({ approvalId: 'appr-0002' })],
        ['DestroyRecord', destroyRecord()],
      ];

      it('covers every command type', () => {
        const types: RecordCommand['type'][] = [
          'CreateRecord',
          'AmendRecord',
          'CompleteOcr',
          'FailOcr',
          'ReleaseRecord',
          'PlaceLegalHold',
          'LiftLegalHold',
          'ArchiveRecord',
          'ApproveDestruction',
          'DestroyRecord',
        ];
        expect(everyCommand.map(([, c]) => c.type)).toEqual(types);
      });

      it.each(everyCommand)('answers %s with gone and the tombstone', (_type, command) => {
        const error = spec.given(destroyedHistory).when(command).thenThrows('gone');
        expect(error.details).toEqual(tombstoneDetails);
        expect(error.errors).toEqual([]);
      });

      it('answers reads with gone and the tombstone', () => {
        const error = accessSpec.given(destroyedHistory).when(accessRecord()).thenThrows('gone');
        expect(error.details).toEqual(tombstoneDetails);
      });

      it('keeps the tombstone and versions in the state, and no PHI', () => {
        const state = existing(foldRecord([created, recordAmended({ content: amendedContent() }), recordReleased(), ...destroyedHistory.slice(1)]));
        expect(state).toStrictEqual({
          status: 'destroyed',
          recordId: RECORD_ID,
          documentType: 'discharge-summary',
          versions: existing(foldRecord([created, recordAmended({ content: amendedContent() })])).versions,
          holds: [],
          releases: ['rel-0001'],
          destructionApprovals: [],
          amendmentRequests: [],
          amendmentStatements: [],
          tombstone: {
            destroyedAt: times.destroyed,
            authority: 'Retention schedule RS-7, item 12',
            approvedBy: actors.him.username,
            destroyedBy: actors.archivist.username,
          },
        });
      });
    });
  });
});
