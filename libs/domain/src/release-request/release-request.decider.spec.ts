import { actors, deciderSpec } from '../testing';
import {
  CompleteReleaseRequest,
  DenyReleaseRequest,
  isReleaseOverdue,
  ReceiveReleaseRequest,
  RecordInScope,
  RecordReleasePackage,
  releaseDueAt,
  ReleaseRequestEvent,
  releaseRequestDecider,
  ShredReleasePackage,
} from './release-request.decider';
import type { Actor } from '../shared/roles';

const ID = '0190a3c4-0000-7000-8000-000000000001';
const R1 = '0190a3c4-0000-7000-8000-0000000000a1';
const R2 = '0190a3c4-0000-7000-8000-0000000000a2';
const MRN = 'MRN-004217';
const RECEIVED_AT = '2024-03-06T08:30:00.000Z';
const BUILT_AT = '2024-03-20T10:00:00.000Z';
const SHA = 'a'.repeat(64);
const LATER = '2031-01-02T03:04:05.000Z';
const SHREDDER: Actor = { userId: '00000000-0000-0000-0000-000000000000', username: 'system:release-packages@node-1', role: 'system' };

const spec = deciderSpec(releaseRequestDecider);

const receive = (overrides: Partial<ReceiveReleaseRequest> = {}): ReceiveReleaseRequest => ({
  type: 'ReceiveReleaseRequest',
  requestId: ID,
  actor: actors.him,
  at: RECEIVED_AT,
  mrn: MRN,
  requester: 'Jane Q. Testpatient',
  recipient: { name: 'Dr. Rivera', address: '1 Clinic Road' },
  purpose: 'continuing care',
  recordIds: [R1, R2],
  authorizationReference: 'AUTH-2024-0113',
  authorizationExpires: '2024-12-31',
  receivedAt: '2024-03-05',
  ...overrides,
});

const received = (overrides: Partial<Extract<ReleaseRequestEvent, { type: 'ReleaseRequestReceived' }>['data']> = {}): ReleaseRequestEvent => ({
  type: 'ReleaseRequestReceived',
  data: {
    requestId: ID,
    mrn: MRN,
    requester: 'Jane Q. Testpatient',
    recipient: { name: 'Dr. Rivera', address: '1 Clinic Road' },
    purpose: 'continuing care',
    recordIds: [R1, R2],
    authorizationReference: 'AUTH-2024-0113',
    authorizationExpires: '2024-12-31',
    receivedAt: '2024-03-05',
    dueAt: '2024-04-04',
    registeredBy: actors.him.username,
    registeredAt: RECEIVED_AT,
    ...overrides,
  },
});

const live: RecordInScope[] = [
  { recordId: R1, status: 'active', mrn: MRN },
  { recordId: R2, status: 'archived', mrn: MRN },
];

const recordPackage = (overrides: Partial<RecordReleasePackage> = {}): RecordReleasePackage => ({
  type: 'RecordReleasePackage',
  requestId: ID,
  actor: actors.him,
  at: BUILT_AT,
  records: live,
  packageKey: `release-requests/${ID}/package.zip`,
  sha256: SHA,
  size: 1234,
  releases: [
    { recordId: R1, versions: [2] },
    { recordId: R2, versions: [1] },
  ],
  ...overrides,
});

const built: ReleaseRequestEvent = {
  type: 'ReleasePackageBuilt',
  data: {
    requestId: ID,
    packageKey: `release-requests/${ID}/package.zip`,
    sha256: SHA,
    size: 1234,
    releases: [
      { recordId: R1, versions: [2] },
      { recordId: R2, versions: [1] },
    ],
    builtBy: actors.him.username,
    builtAt: BUILT_AT,
  },
};

const complete = (): CompleteReleaseRequest => ({ type: 'CompleteReleaseRequest', requestId: ID, actor: actors.him, at: BUILT_AT });
const fulfilled: ReleaseRequestEvent = { type: 'ReleaseRequestFulfilled', data: { requestId: ID, fulfilledBy: actors.him.username, fulfilledAt: BUILT_AT } };
const deny = (reason = 'Psychotherapy notes are excluded'): DenyReleaseRequest => ({
  type: 'DenyReleaseRequest',
  requestId: ID,
  actor: actors.him,
  at: BUILT_AT,
  reason,
});
const denied: ReleaseRequestEvent = {
  type: 'ReleaseRequestDenied',
  data: { requestId: ID, reason: 'Psychotherapy notes are excluded', deniedBy: actors.him.username, deniedAt: BUILT_AT },
};

describe('releaseRequestDecider', () => {
  describe('receiving', () => {
    it('receives a request, due 30 days after the day it was received', () => {
      spec.given([]).when(receive()).then([received()]);
    });

    it('names each record once and keeps a recipient without an address as it is', () => {
      spec
        .given([])
        .when(receive({ recordIds: [R1, R1, R2], recipient: { name: 'Dr. Rivera' } }))
        .then([received({ recipient: { name: 'Dr. Rivera' } })]);
    });

    it('works the due day out over a month end and a leap day', () => {
      expect(releaseDueAt('2024-01-31')).toBe('2024-03-01');
      expect(releaseDueAt('2023-02-01')).toBe('2023-03-03');
    });

    it.each([
      ['mrn', { mrn: 'no spaces allowed!' }],
      ['requester', { requester: ' ' }],
      ['recipient.name', { recipient: { name: '' } }],
      ['purpose', { purpose: '' }],
      ['recordIds', { recordIds: [] }],
      ['recordIds', { recordIds: ['not-a-uuid'] }],
      ['authorizationReference', { authorizationReference: '' }],
      ['authorizationExpires', { authorizationExpires: '2024-13-01' }],
      ['receivedAt', { receivedAt: '2024-02-30' }],
      ['receivedAt', { receivedAt: '2024-03-07' }],
    ])('refuses a bad %s', (field, overrides) => {
      spec.given([]).when(receive(overrides)).thenThrows('invalid', field);
    });

    it('refuses a second request with the same id', () => {
      spec.given([received()]).when(receive()).thenThrows('conflict', 'already exists');
    });
  });

  describe('fulfilling', () => {
    it('records the package with each record’s versions sorted', () => {
      spec
        .given([received()])
        .when(
          recordPackage({
            releases: [
              { recordId: R1, versions: [2] },
              { recordId: R2, versions: [1] },
            ],
          }),
        )
        .then([built]);
    });

    it('refuses once the authorization has expired (the day after its last day)', () => {
      const error = spec
        .given([received({ authorizationExpires: '2024-03-19' })])
        .when(recordPackage())
        .thenThrows('conflict', 'authorization expired');
      expect(error.details).toEqual({ reason: 'authorization-expired' });
    });

    it('accepts on the authorization’s last day', () => {
      spec
        .given([received({ authorizationExpires: '2024-03-20' })])
        .when(recordPackage())
        .thenState((state) => expect(state).toMatchObject({ status: 'open', package: { sha256: SHA } }));
    });

    it('refuses when a record in scope is destroyed, naming it', () => {
      const error = spec
        .given([received()])
        .when(recordPackage({ records: [live[0], { recordId: R2, status: 'destroyed' }] }))
        .thenThrows('conflict', R2);
      expect(error.details).toEqual({ reason: 'record-destroyed', recordIds: [R2] });
    });

    it('refuses when a record in scope is another patient’s', () => {
      const error = spec
        .given([received()])
        .when(recordPackage({ records: [live[0], { recordId: R2, status: 'active', mrn: 'MRN-999999' }] }))
        .thenThrows('conflict', 'another patient');
      expect(error.details).toEqual({ reason: 'other-patient', recordIds: [R2] });
    });

    it('takes an MRN written in another case for the same patient', () => {
      spec
        .given([received({ mrn: 'mrn-004217' })])
        .when(recordPackage())
        .thenState((state) => expect(state).toMatchObject({ package: { sha256: SHA } }));
    });

    it('refuses a package that leaves a record in scope out', () => {
      spec
        .given([received()])
        .when(recordPackage({ releases: [{ recordId: R1, versions: [2] }] }))
        .thenThrows('invalid', 'releases');
    });

    it('keeps the first package when asked again (a resumed fulfilment)', () => {
      spec
        .given([received(), built])
        .when(recordPackage({ sha256: 'b'.repeat(64) }))
        .then([]);
    });

    it('completes once the package is built, and only once', () => {
      spec.given([received(), built]).when(complete()).then([fulfilled]);
      spec.given([received(), built, fulfilled]).when(complete()).then([]);
      spec
        .given([received(), built, fulfilled])
        .when(complete())
        .thenState((state) => expect(state).toMatchObject({ status: 'fulfilled', fulfilledBy: actors.him.username }));
    });

    it('does not complete before the package is built', () => {
      spec.given([received()]).when(complete()).thenThrows('conflict', 'not been built');
    });

    it('refuses to fulfil a denied request', () => {
      spec.given([received(), denied]).when(recordPackage()).thenThrows('conflict', 'denied');
      spec.given([received(), denied]).when(complete()).thenThrows('conflict', 'denied');
    });

    it('knows no unknown request', () => {
      spec.given([]).when(recordPackage()).thenThrows('not-found');
      spec.given([]).when(deny()).thenThrows('not-found');
    });
  });

  describe('denying', () => {
    it('denies an open request with a reason', () => {
      spec.given([received()]).when(deny()).then([denied]);
    });

    it('refuses a blank reason', () => {
      spec.given([received()]).when(deny(' ')).thenThrows('invalid', 'reason');
    });

    it('refuses once denied, fulfilled, or the package built', () => {
      spec.given([received(), denied]).when(deny()).thenThrows('conflict', 'already denied');
      spec.given([received(), built, fulfilled]).when(deny()).thenThrows('conflict', 'already fulfilled');
      spec.given([received(), built]).when(deny()).thenThrows('conflict', 'already built');
    });
  });

  describe('shredding the package of a destroyed record', () => {
    const shred = (recordId = R2): ShredReleasePackage => ({ type: 'ShredReleasePackage', requestId: ID, actor: SHREDDER, at: LATER, recordId });
    const shredded: ReleaseRequestEvent = {
      type: 'ReleasePackageShredded',
      data: {
        requestId: ID,
        packageKey: `release-requests/${ID}/package.zip`,
        recordId: R2,
        reason: 'record-destroyed',
        shreddedBy: SHREDDER.username,
        shreddedAt: LATER,
      },
    };

    it('says the package holding the record is shredded, once', () => {
      spec.given([received(), built, fulfilled]).when(shred()).then([shredded]);
      spec.given([received(), built, fulfilled, shredded]).when(shred()).then([]);
      spec.given([received(), built, fulfilled, shredded]).when(shred(R1)).then([]);
    });

    it('shreds a package built by a fulfilment not yet finished', () => {
      spec.given([received(), built]).when(shred()).then([shredded]);
    });

    it('decides nothing without a package or for a record the package does not hold', () => {
      spec.given([received()]).when(shred()).then([]);
      spec.given([received(), denied]).when(shred()).then([]);
      spec.given([received(), built, fulfilled]).when(shred('00000000-0000-4000-8000-00000000dead')).then([]);
    });

    it('keeps the shredding in the state', () => {
      const state = [received(), built, fulfilled, shredded].reduce((s, e) => releaseRequestDecider.evolve(s, e), releaseRequestDecider.initialState());
      expect(state).toMatchObject({ status: 'fulfilled', package: { shredded: { recordId: R2, at: LATER } } });
    });

    it('refuses an unknown request', () => {
      spec.given([]).when(shred()).thenThrows('not-found');
    });
  });

  it('is overdue while open past its due day', () => {
    expect(isReleaseOverdue({ status: 'open', dueAt: '2024-04-04' }, '2024-04-04')).toBe(false);
    expect(isReleaseOverdue({ status: 'open', dueAt: '2024-04-04' }, '2024-04-05')).toBe(true);
    expect(isReleaseOverdue({ status: 'fulfilled', dueAt: '2024-04-04' }, '2024-04-05')).toBe(false);
  });

  it('stops the fold on an event type it does not know', () => {
    expect(() => releaseRequestDecider.evolve(releaseRequestDecider.initialState(), { type: 'Unknown', data: {} } as never)).toThrow('Unknown event type');
  });
});
