import { actors, approveDestruction, destructionApproved, legalHoldPlaced, RECORD_ID, recordAmended, recordArchived, times } from '../../testing';
import { spec, existing, created, approved } from './testing/record-spec-support';

describe('recordDecider', () => {
  describe('ApproveDestruction', () => {
    it("records the approver's own approval of the current version, with the authority", () => {
      spec
        .given([created, recordAmended()])
        .when(approveDestruction())
        .then([
          {
            type: 'DestructionApproved',
            data: {
              recordId: RECORD_ID,
              approvalId: 'appr-0001',
              authority: 'Retention schedule RS-7, item 12',
              version: 2,
              approvedBy: actors.him.username,
              approverRole: 'him',
              approvedAt: times.approved,
            },
          },
        ]);
    });

    it('lets an archivist approve, and an archived record be approved', () => {
      spec
        .given([created, recordArchived()])
        .when(approveDestruction({ actor: actors.archivist }))
        .then([destructionApproved({ approvedBy: actors.archivist.username, approverRole: 'archivist' })]);
    });

    it('folds the approval into the record', () => {
      spec
        .given([created])
        .when(approveDestruction())
        .thenState((state) =>
          expect(existing(state).destructionApprovals).toEqual([
            { approvalId: 'appr-0001', approvedBy: actors.him.username, authority: 'Retention schedule RS-7, item 12', version: 1 },
          ]),
        );
    });

    it.each([['clerk'], ['clinician'], ['legal']] as const)('refuses an approver acting as %s', (role) => {
      spec
        .given([created])
        .when(approveDestruction({ actor: actors[role] }))
        .thenThrows('forbidden', 'archivist or him');
    });

    it('refuses a second approval by the same person of the same version', () => {
      spec
        .given([created, approved])
        .when(approveDestruction({ approvalId: 'appr-0002' }))
        .thenThrows('conflict', 'already approved');
    });

    it('accepts a new approval by the same person once the record was amended', () => {
      spec
        .given([created, approved, recordAmended()])
        .when(approveDestruction({ approvalId: 'appr-0002' }))
        .then([destructionApproved({ approvalId: 'appr-0002', version: 2 })]);
    });

    it('refuses while a hold stands', () => {
      spec.given([created, legalHoldPlaced()]).when(approveDestruction()).thenThrows('conflict', 'legal hold');
    });

    it.each(['', '   ', 'x'.repeat(501)])('requires an authority (%j is refused)', (authority) => {
      spec.given([created]).when(approveDestruction({ authority })).thenThrows('invalid', 'authority');
    });

    it('refuses to approve a record that does not exist', () => {
      spec.given([]).when(approveDestruction()).thenThrows('not-found');
    });
  });
});
