import { actors, deciderSpec } from '../testing';
import { CoverSheetEvent, coverSheetDecider, IssueCoverSheet, MAX_VOID_REASON, UseCoverSheet, VoidCoverSheet } from './cover-sheet.decider';

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
