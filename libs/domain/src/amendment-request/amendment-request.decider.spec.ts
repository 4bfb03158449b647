import { actors, deciderSpec } from '../testing';
import {
  AcceptAmendmentRequest,
  AMENDMENT_REQUEST_PHI_FIELDS,
  amendmentDueAt,
  amendmentRequestDecider,
  AmendmentRequestEvent,
  amendmentStatementId,
  DenyAmendmentRequest,
  FileDisagreementStatement,
  FileRebuttalStatement,
  RegisterAmendmentRequest,
} from './amendment-request.decider';

const REQUEST = '0190a3c4-0000-7000-8000-0000000000e1';
const RECORD = '0190a3c4-0000-7000-8000-0000000000a1';
const REGISTERED_AT = '2024-03-06T08:30:00.000Z';
const DECIDED_AT = '2024-04-01T12:00:00.000Z';
const DISAGREED_AT = '2024-04-10T09:00:00.000Z';
const REBUTTED_AT = '2024-04-12T15:00:00.000Z';
const patient = { userId: 'u-0009', username: 'hana.him', role: 'him' } as const;

const spec = deciderSpec(amendmentRequestDecider);

const register = (overrides: Partial<RegisterAmendmentRequest> = {}): RegisterAmendmentRequest => ({
  type: 'RegisterAmendmentRequest',
  requestId: REQUEST,
  recordId: RECORD,
  actor: actors.him,
  at: REGISTERED_AT,
  requestedChange: 'My penicillin allergy is missing from the discharge summary',
  receivedAt: '2024-03-02',
  ...overrides,
});
const accept = (overrides: Partial<AcceptAmendmentRequest> = {}): AcceptAmendmentRequest => ({
  type: 'AcceptAmendmentRequest',
  requestId: REQUEST,
  actor: actors.him,
  at: DECIDED_AT,
  version: 2,
  ...overrides,
});
const deny = (overrides: Partial<DenyAmendmentRequest> = {}): DenyAmendmentRequest => ({
  type: 'DenyAmendmentRequest',
  requestId: REQUEST,
  actor: actors.him,
  at: DECIDED_AT,
  reason: 'The summary is accurate and complete as written',
  ...overrides,
});
const disagree = (overrides: Partial<FileDisagreementStatement> = {}): FileDisagreementStatement => ({
  type: 'FileDisagreementStatement',
  requestId: REQUEST,
  actor: patient,
  at: DISAGREED_AT,
  statement: 'I told the admitting nurse about the allergy',
  ...overrides,
});
const rebut = (overrides: Partial<FileRebuttalStatement> = {}): FileRebuttalStatement => ({
  type: 'FileRebuttalStatement',
  requestId: REQUEST,
  actor: actors.him,
  at: REBUTTED_AT,
  statement: 'The admission note records no allergy',
  ...overrides,
});

const registered: AmendmentRequestEvent = {
  type: 'AmendmentRequestRegistered',
  data: {
    requestId: REQUEST,
    recordId: RECORD,
    requestedChange: 'My penicillin allergy is missing from the discharge summary',
    receivedAt: '2024-03-02',
    dueAt: '2024-05-01',
    registeredBy: actors.him.username,
    registeredAt: REGISTERED_AT,
  },
};
const accepted: AmendmentRequestEvent = {
  type: 'AmendmentRequestAccepted',
  data: { requestId: REQUEST, recordId: RECORD, version: 2, acceptedBy: actors.him.username, acceptedAt: DECIDED_AT },
};
const denied: AmendmentRequestEvent = {
  type: 'AmendmentRequestDenied',
  data: { requestId: REQUEST, recordId: RECORD, statementId: `${REQUEST}-denial`, deniedBy: actors.him.username, deniedAt: DECIDED_AT },
};
const disagreed: AmendmentRequestEvent = {
  type: 'DisagreementStatementFiled',
  data: { requestId: REQUEST, recordId: RECORD, statementId: `${REQUEST}-disagreement`, filedBy: patient.username, filedAt: DISAGREED_AT },
};
const rebutted: AmendmentRequestEvent = {
  type: 'RebuttalStatementFiled',
  data: { requestId: REQUEST, recordId: RECORD, statementId: `${REQUEST}-rebuttal`, filedBy: actors.him.username, filedAt: REBUTTED_AT },
};

describe('amendmentRequestDecider', () => {
  describe('receiving', () => {
    it('registers the request, due 60 days after its receipt, attributed', () => {
      spec.given([]).when(register()).then([registered]);
    });

    it('counts the 60 days across month and year ends', () => {
      expect(amendmentDueAt('2024-03-02')).toBe('2024-05-01');
      expect(amendmentDueAt('2023-12-15')).toBe('2024-02-13');
      expect(amendmentDueAt('2024-01-01')).toBe('2024-03-01');
    });

    it('accepts a request received today', () => {
      spec
        .given([])
        .when(register({ receivedAt: REGISTERED_AT.slice(0, 10) }))
        .thenState((state) => expect(state).toMatchObject({ status: 'received', receivedAt: '2024-03-06', dueAt: '2024-05-05' }));
    });

    it.each([
      ['a blank requested change', { requestedChange: '  ' }, 'requestedChange'],
      ['a requested change of 5,001 characters', { requestedChange: 'x'.repeat(5001) }, 'requestedChange'],
      ['a requested change with control characters', { requestedChange: 'a\u0000b' }, 'requestedChange'],
      ['an impossible date', { receivedAt: '2024-13-01' }, 'receivedAt'],
      ['February 30th', { receivedAt: '2024-02-30' }, 'receivedAt'],
      ['a date-time', { receivedAt: '2024-03-02T10:00:00Z' }, 'receivedAt'],
      ['a date in the future', { receivedAt: '2024-03-07' }, 'receivedAt'],
    ])('refuses %s', (_, overrides, field) => {
      spec.given([]).when(register(overrides)).thenThrows('invalid', field);
    });

    it('refuses a second registration of the same request', () => {
      spec.given([registered]).when(register()).thenThrows('conflict', 'already exists');
    });

    it('seals the requested change, and nothing else (the statements are on the record)', () => {
      expect(AMENDMENT_REQUEST_PHI_FIELDS).toEqual({
        AmendmentRequestRegistered: ['requestedChange'],
        AmendmentRequestAccepted: [],
        AmendmentRequestDenied: [],
        DisagreementStatementFiled: [],
        RebuttalStatementFiled: [],
      });
      for (const event of [accepted, denied, disagreed, rebutted]) {
        expect(Object.values(event.data).join(' ')).not.toMatch(/allergy|accurate|nurse|admission/);
      }
    });
  });

  describe('accepting', () => {
    it('accepts with the record version that answers the request', () => {
      spec.given([registered]).when(accept()).then([accepted]);
    });

    it('remembers who accepted and when', () => {
      spec
        .given([registered])
        .when(accept({ version: 3 }))
        .thenState((state) => expect(state).toMatchObject({ status: 'accepted', accepted: { by: actors.him.username, at: DECIDED_AT, version: 3 } }));
    });

    it('refuses a version that cannot be an amendment', () => {
      spec
        .given([registered])
        .when(accept({ version: 1 }))
        .thenThrows('invalid', 'version');
    });

    it('refuses an accepted or denied request (409)', () => {
      spec.given([registered, accepted]).when(accept()).thenThrows('conflict', 'already accepted');
      spec.given([registered, denied]).when(accept()).thenThrows('conflict', 'already denied');
      spec.given([registered, denied, disagreed]).when(accept()).thenThrows('conflict');
    });

    it('refuses an unknown request (404)', () => {
      spec.given([]).when(accept()).thenThrows('not-found');
    });
  });

  describe('denying, disagreeing, rebutting', () => {
    it('denies, naming the denial statement filed on the record', () => {
      spec.given([registered]).when(deny()).then([denied]);
      expect(amendmentStatementId(REQUEST, 'denial')).toBe(`${REQUEST}-denial`);
    });

    it("files the patient's disagreement after the denial, then HIM's rebuttal, each attributed", () => {
      spec.given([registered, denied]).when(disagree()).then([disagreed]);
      spec.given([registered, denied, disagreed]).when(rebut()).then([rebutted]);
      spec
        .given([registered, denied, disagreed])
        .when(rebut())
        .thenState((state) =>
          expect(state).toMatchObject({
            status: 'rebuttal-filed',
            denied: { by: actors.him.username, at: DECIDED_AT, statementId: `${REQUEST}-denial` },
            disagreement: { by: patient.username, at: DISAGREED_AT, statementId: `${REQUEST}-disagreement` },
            rebuttal: { by: actors.him.username, at: REBUTTED_AT, statementId: `${REQUEST}-rebuttal` },
          }),
        );
    });

    it('refuses a second denial, a denial after acceptance (409)', () => {
      spec.given([registered, denied]).when(deny()).thenThrows('conflict', 'already denied');
      spec.given([registered, accepted]).when(deny()).thenThrows('conflict', 'already accepted');
    });

    it('refuses a disagreement before a denial, after an acceptance, or a second one (409)', () => {
      spec.given([registered]).when(disagree()).thenThrows('conflict', 'only follow a denial');
      spec.given([registered, accepted]).when(disagree()).thenThrows('conflict', 'only follow a denial');
      spec.given([registered, denied, disagreed]).when(disagree()).thenThrows('conflict', 'already filed');
      spec.given([registered, denied, disagreed, rebutted]).when(disagree()).thenThrows('conflict', 'already filed');
    });

    it('refuses a rebuttal without a disagreement, or a second one (409)', () => {
      spec.given([registered]).when(rebut()).thenThrows('conflict', 'only follow');
      spec.given([registered, denied]).when(rebut()).thenThrows('conflict', 'only follow');
      spec.given([registered, accepted]).when(rebut()).thenThrows('conflict', 'only follow');
      spec.given([registered, denied, disagreed, rebutted]).when(rebut()).thenThrows('conflict', 'already filed');
    });

    it('refuses any step of an unknown request (404)', () => {
      for (const command of [deny(), disagree(), rebut()]) spec.given([]).when(command).thenThrows('not-found');
    });

    it.each([
      ['a blank reason', [registered], deny({ reason: ' ' }), 'reason'],
      ['a reason of 5,001 characters', [registered], deny({ reason: 'x'.repeat(5001) }), 'reason'],
      ['a blank disagreement', [registered, denied], disagree({ statement: '' }), 'statement'],
      ['a rebuttal of 5,001 characters', [registered, denied, disagreed], rebut({ statement: 'x'.repeat(5001) }), 'statement'],
    ] as const)('refuses %s', (_, given, command, field) => {
      spec.given(given).when(command).thenThrows('invalid', field);
    });
  });
});
