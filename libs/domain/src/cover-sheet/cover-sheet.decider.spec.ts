import { actors, deciderSpec } from '../testing';
import {
  ClaimCoverSheet,
  CoverSheetEvent,
  coverSheetDecider,
  IssueCoverSheet,
  MAX_VOID_REASON,
  ReleaseCoverSheetClaim,
  UseCoverSheet,
  VoidCoverSheet,
} from './cover-sheet.decider';

const SHEET = '0190a3c4-0000-7000-8000-0000000000c5';
const RECORD = '0190a3c4-0000-7000-8000-0000000000a1';
const STACK = '0190a3c4-0000-7000-8000-0000000000b7';
const ISSUED_AT = '2024-03-06T08:30:00.000Z';
const USED_AT = '2024-03-06T11:00:00.000Z';

const spec = deciderSpec(coverSheetDecider);

const issue = (overrides: Partial<IssueCoverSheet> = {}): IssueCoverSheet => ({
  type: 'IssueCoverSheet',
  coverSheetId: SHEET,
  actor: actors.clerk,
  at: ISSUED_AT,
  mrn: 'MRN-00482913',
  patientName: 'Maria Gonzalez',
  dateOfBirth: '1961-04-17',
  documentType: 'discharge-summary',
  ...overrides,
});

const issued = (overrides: Partial<Extract<CoverSheetEvent, { type: 'CoverSheetIssued' }>['data']> = {}): CoverSheetEvent => ({
  type: 'CoverSheetIssued',
  data: {
    coverSheetId: SHEET,
    mrn: 'MRN-00482913',
    patientName: 'Maria Gonzalez',
    dateOfBirth: '1961-04-17',
    documentType: 'discharge-summary',
    issuedBy: actors.clerk.username,
    issuedAt: ISSUED_AT,
    ...overrides,
  },
});

const use = (overrides: Partial<UseCoverSheet> = {}): UseCoverSheet => ({
  type: 'UseCoverSheet',
  coverSheetId: SHEET,
  actor: actors.clerk,
  at: USED_AT,
  recordId: RECORD,
  stackId: STACK,
  ...overrides,
});

const used: CoverSheetEvent = {
  type: 'CoverSheetUsed',
  data: { coverSheetId: SHEET, recordId: RECORD, stackId: STACK, usedBy: actors.clerk.username, usedAt: USED_AT },
};
const OTHER_STACK = '0190a3c4-0000-7000-8000-0000000000b8';
const ITEM = '0190a3c4-0000-7000-8000-0000000000d1';
const CLAIMED_AT = '2024-03-06T10:59:00.000Z';
const claimBy = (claimant: { stackId: string } | { reviewItemId: string }): ClaimCoverSheet => ({
  type: 'ClaimCoverSheet',
  coverSheetId: SHEET,
  actor: actors.clerk,
  at: CLAIMED_AT,
  ...claimant,
});
const claimedBy = (claimant: { stackId: string } | { reviewItemId: string }): CoverSheetEvent => ({
  type: 'CoverSheetClaimed',
  data: { coverSheetId: SHEET, ...claimant, claimedBy: actors.clerk.username, claimedAt: CLAIMED_AT },
});
const releaseBy = (claimant: { stackId: string } | { reviewItemId: string }): ReleaseCoverSheetClaim => ({
  type: 'ReleaseCoverSheetClaim',
  coverSheetId: SHEET,
  actor: actors.clerk,
  at: USED_AT,
  reason: 'stack-failed',
  ...claimant,
});
const releasedBy = (claimant: { stackId: string } | { reviewItemId: string }): CoverSheetEvent => ({
  type: 'CoverSheetClaimReleased',
  data: { coverSheetId: SHEET, ...claimant, reason: 'stack-failed', releasedBy: actors.clerk.username, releasedAt: USED_AT },
});
const REASON = 'Printed for the wrong patient';
const voidSheet: VoidCoverSheet = { type: 'VoidCoverSheet', coverSheetId: SHEET, actor: actors.him, at: USED_AT, reason: REASON };
const voided: Extract<CoverSheetEvent, { type: 'CoverSheetVoided' }> = {
  type: 'CoverSheetVoided',
  data: { coverSheetId: SHEET, reason: REASON, voidedBy: actors.him.username, voidedAt: USED_AT },
};

describe('coverSheetDecider', () => {
  describe('issuing', () => {
    it('issues a sheet with the details a record will be created with', () => {
      spec.given([]).when(issue()).then([issued()]);
    });

    it('keeps the optional title, encounter date and batch', () => {
      spec
        .given([])
        .when(issue({ title: 'Discharge after CABG', encounterDate: '2024-03-01', batchId: STACK }))
        .then([issued({ title: 'Discharge after CABG', encounterDate: '2024-03-01', batchId: STACK })]);
    });

    it.each([
      ['mrn', { mrn: 'a b' }],
      ['patientName', { patientName: '42' }],
      ['dateOfBirth', { dateOfBirth: '1961-02-30' }],
      ['documentType', { documentType: 'x-ray' }],
      ['title', { title: ' ' }],
      ['encounterDate', { encounterDate: '03/01/2024' }],
    ] as const)('refuses an invalid %s', (field, overrides) => {
      spec.given([]).when(issue(overrides)).thenThrows('invalid', field);
    });

    it('issues each sheet once', () => {
      spec.given([issued()]).when(issue()).thenThrows('conflict', 'already issued');
    });
  });

  describe('using', () => {
    it('records the record the sheet filed, and the stack it came in', () => {
      spec.given([issued()]).when(use()).then([used]);
    });

    it('refuses a second use: a copied sheet must not file a second record', () => {
      const error = spec
        .given([issued(), used])
        .when(use({ recordId: '0190a3c4-0000-7000-8000-0000000000a2' }))
        .thenThrows('conflict', 'already used');
      expect(error.details).toEqual({ recordId: RECORD });
    });

    it('refuses an unknown or voided sheet', () => {
      spec.given([]).when(use()).thenThrows('not-found');
      spec.given([issued(), voided]).when(use()).thenThrows('conflict', 'voided');
    });

    it('keeps what the sheet filed in clear once its details are shredded', () => {
      const { mrn: _m, patientName: _p, dateOfBirth: _d, ...clear } = (issued() as Extract<CoverSheetEvent, { type: 'CoverSheetIssued' }>).data;
      const shredded = { type: 'CoverSheetIssued', data: clear } as unknown as CoverSheetEvent;
      spec
        .given([shredded])
        .when(use())
        .thenState((state) => expect(state).toMatchObject({ status: 'used', recordId: RECORD, documentType: 'discharge-summary', details: undefined }));
    });
  });

  describe('claiming', () => {
    it('reserves an issued sheet for the split of one stack, before anything is filed under it', () => {
      spec
        .given([issued()])
        .when(claimBy({ stackId: STACK }))
        .then([claimedBy({ stackId: STACK })]);
      spec
        .given([issued()])
        .when(claimBy({ stackId: STACK }))
        .thenState((state) =>
          expect(state).toMatchObject({ status: 'issued', claim: { stackId: STACK, claimedBy: actors.clerk.username, claimedAt: CLAIMED_AT } }),
        );
    });

    it('claims once per stack: the same stack again (a retried split, another node) appends nothing', () => {
      spec
        .given([issued(), claimedBy({ stackId: STACK })])
        .when(claimBy({ stackId: STACK }))
        .then([]);
    });

    it('refuses a second stack holding the same sheet, naming the stack that holds it', () => {
      const error = spec
        .given([issued(), claimedBy({ stackId: STACK })])
        .when(claimBy({ stackId: OTHER_STACK }))
        .thenThrows('conflict', 'claimed');
      expect(error.details).toEqual({ stackId: STACK });
    });

    it('tells a review item from the split of its stack', () => {
      spec
        .given([issued()])
        .when(claimBy({ reviewItemId: ITEM }))
        .then([claimedBy({ reviewItemId: ITEM })]);
      spec
        .given([issued(), claimedBy({ reviewItemId: ITEM })])
        .when(claimBy({ reviewItemId: ITEM }))
        .then([]);
      const error = spec
        .given([issued(), claimedBy({ stackId: STACK })])
        .when(claimBy({ reviewItemId: ITEM }))
        .thenThrows('conflict', 'claimed');
      expect(error.details).toEqual({ stackId: STACK });
      spec
        .given([issued(), claimedBy({ reviewItemId: ITEM })])
        .when(claimBy({ stackId: STACK }))
        .thenThrows('conflict', 'claimed');
    });

    it('refuses an unknown, used or voided sheet', () => {
      spec
        .given([])
        .when(claimBy({ stackId: STACK }))
        .thenThrows('not-found');
      const error = spec
        .given([issued(), claimedBy({ stackId: STACK }), used])
        .when(claimBy({ stackId: STACK }))
        .thenThrows('conflict', 'already used');
      expect(error.details).toEqual({ recordId: RECORD });
      spec
        .given([issued(), voided])
        .when(claimBy({ stackId: STACK }))
        .thenThrows('conflict', 'voided');
    });

    it('lets only the claimant use the sheet: the claiming split, or the claiming review item', () => {
      spec
        .given([issued(), claimedBy({ stackId: STACK })])
        .when(use())
        .then([used]);
      spec
        .given([issued(), claimedBy({ stackId: OTHER_STACK })])
        .when(use())
        .thenThrows('conflict', 'claimed');
      // A review item of the claiming stack is not its split: it must not file a second record under the sheet.
      spec
        .given([issued(), claimedBy({ stackId: STACK })])
        .when(use({ reviewItemId: ITEM }))
        .thenThrows('conflict', 'claimed');
      spec
        .given([issued(), claimedBy({ stackId: STACK })])
        .when(use({ stackId: undefined }))
        .thenThrows('conflict', 'claimed');
      spec
        .given([issued(), claimedBy({ reviewItemId: ITEM })])
        .when(use({ reviewItemId: ITEM }))
        .then([used]);
    });

    it('keeps the claim on the used sheet, as a record of who filed it', () => {
      spec
        .given([issued(), claimedBy({ stackId: STACK })])
        .when(use())
        .thenState((state) => expect(state).toMatchObject({ status: 'used', recordId: RECORD, claim: { stackId: STACK } }));
    });

    it('refuses to void a claimed sheet: its claimant may have filed a record under it already', () => {
      const error = spec
        .given([issued(), claimedBy({ stackId: STACK })])
        .when(voidSheet)
        .thenThrows('conflict', 'claimed');
      expect(error.details).toEqual({ stackId: STACK });
    });
  });

  describe('releasing a claim', () => {
    it('gives the sheet back when its stack failed for good: another stack or a review may then file it', () => {
      spec
        .given([issued(), claimedBy({ stackId: STACK })])
        .when(releaseBy({ stackId: STACK }))
        .then([releasedBy({ stackId: STACK })]);
      spec
        .given([issued(), claimedBy({ stackId: STACK }), releasedBy({ stackId: STACK })])
        .when(claimBy({ stackId: OTHER_STACK }))
        .then([claimedBy({ stackId: OTHER_STACK })]);
      spec
        .given([issued(), claimedBy({ stackId: STACK }), releasedBy({ stackId: STACK })])
        .when(voidSheet)
        .then([voided]);
    });

    it("changes nothing for a claim not held (a retried release), someone else's claim, or a sheet used or voided", () => {
      spec
        .given([issued()])
        .when(releaseBy({ stackId: STACK }))
        .then([]);
      spec
        .given([issued(), claimedBy({ stackId: OTHER_STACK })])
        .when(releaseBy({ stackId: STACK }))
        .then([]);
      spec
        .given([issued(), claimedBy({ stackId: STACK })])
        .when(releaseBy({ reviewItemId: ITEM }))
        .then([]);
      spec
        .given([issued(), claimedBy({ stackId: STACK }), used])
        .when(releaseBy({ stackId: STACK }))
        .then([]);
      spec
        .given([issued(), voided])
        .when(releaseBy({ stackId: STACK }))
        .then([]);
    });

    it('refuses an unknown sheet', () => {
      spec
        .given([])
        .when(releaseBy({ stackId: STACK }))
        .thenThrows('not-found');
    });
  });

  describe('voiding', () => {
    it('voids an unused sheet with its reason, attributed to who voided it', () => {
      spec.given([issued()]).when(voidSheet).then([voided]);
      spec
        .given([issued()])
        .when(voidSheet)
        .thenState((state) => expect(state).toMatchObject({ status: 'voided', voidedBy: actors.him.username, voidedAt: USED_AT, voidReason: REASON }));
    });

    it('voids once: a second void (a retry, or someone else) changes nothing, the first voider and reason stay', () => {
      const again = { ...voidSheet, actor: actors.clerk, reason: 'Duplicate', at: ISSUED_AT };
      spec.given([issued(), voided]).when(again).then([]);
      spec
        .given([issued(), voided])
        .when(again)
        .thenState((state) => expect(state).toMatchObject({ status: 'voided', voidedBy: actors.him.username, voidReason: REASON }));
    });

    it('refuses to void a used sheet, naming the record it filed', () => {
      const error = spec.given([issued(), used]).when(voidSheet).thenThrows('conflict', 'already used');
      expect(error.details).toEqual({ recordId: RECORD });
    });

    it('refuses an unknown sheet', () => {
      spec.given([]).when(voidSheet).thenThrows('not-found');
    });

    it.each([
      ['missing', undefined],
      ['blank', '   '],
      ['too long', 'x'.repeat(MAX_VOID_REASON + 1)],
    ])('refuses a %s reason, before anything else', (_what, reason) => {
      spec
        .given([issued()])
        .when({ ...voidSheet, reason: reason as string })
        .thenThrows('invalid', 'reason');
      spec
        .given([])
        .when({ ...voidSheet, reason: reason as string })
        .thenThrows('invalid', 'reason');
    });

    it('reads a sheet voided before reasons were asked for, or shredded, without a reason', () => {
      const { reason: _r, ...clear } = voided.data;
      spec
        .given([issued(), { type: 'CoverSheetVoided', data: clear }])
        .when(voidSheet)
        .thenState((state) => {
          expect(state).toMatchObject({ status: 'voided', voidedBy: actors.him.username });
          expect(state).not.toHaveProperty('voidReason');
        });
    });
  });
});
