import { DomainError } from '../shared/domain-error';
import { deciderSpec } from '../testing/decider-spec';
import { ClaimOcrJob, OcrJobClaimed, ocrJobDecider, OcrJobLeaseRenewed, OcrJobReleased, ReleaseOcrJob, RenewOcrJobLease } from './ocr-job.decider';

const spec = deciderSpec(ocrJobDecider);
const RECORD = '0b6f3c1e-7d2a-4c59-9e1f-3a8d5b2c7e41';

const claim = (overrides: Partial<ClaimOcrJob> = {}): ClaimOcrJob => ({
  type: 'ClaimOcrJob',
  recordId: RECORD,
  version: 1,
  nodeId: 'node-a',
  at: '2026-01-01T10:00:00.000Z',
  leaseMs: 60_000,
  maxAttempts: 3,
  ...overrides,
});

const claimed = (overrides: Partial<OcrJobClaimed['data']> = {}): OcrJobClaimed => ({
  type: 'OcrJobClaimed',
  data: {
    recordId: RECORD,
    version: 1,
    nodeId: 'node-a',
    attempt: 1,
    claimedAt: '2026-01-01T10:00:00.000Z',
    leaseUntil: '2026-01-01T10:01:00.000Z',
    ...overrides,
  },
});

const release = (overrides: Partial<ReleaseOcrJob> = {}): ReleaseOcrJob => ({
  type: 'ReleaseOcrJob',
  recordId: RECORD,
  version: 1,
  nodeId: 'node-a',
  at: '2026-01-01T10:00:20.000Z',
  ...overrides,
});

const released = (overrides: Partial<OcrJobReleased['data']> = {}): OcrJobReleased => ({
  type: 'OcrJobReleased',
  data: { recordId: RECORD, version: 1, nodeId: 'node-a', attempt: 1, releasedAt: '2026-01-01T10:00:20.000Z', ...overrides },
});

const renew = (overrides: Partial<RenewOcrJobLease> = {}): RenewOcrJobLease => ({
  type: 'RenewOcrJobLease',
  recordId: RECORD,
  version: 1,
  nodeId: 'node-a',
  at: '2026-01-01T10:00:40.000Z',
  leaseMs: 60_000,
  ...overrides,
});

const renewed = (overrides: Partial<OcrJobLeaseRenewed['data']> = {}): OcrJobLeaseRenewed => ({
  type: 'OcrJobLeaseRenewed',
  data: { recordId: RECORD, version: 1, nodeId: 'node-a', renewedAt: '2026-01-01T10:00:40.000Z', leaseUntil: '2026-01-01T10:01:40.000Z', ...overrides },
});

describe('OCR job claims', () => {
  it('claims an unclaimed job with a lease', () => {
    spec.given([]).when(claim()).then([claimed()]);
  });

  it('refuses a job another node holds under an unexpired lease', () => {
    spec
      .given([claimed()])
      .when(claim({ nodeId: 'node-b', at: '2026-01-01T10:00:30.000Z' }))
      .thenThrows('conflict');
  });

  it('lets another node claim once the lease has run out, counting the attempt', () => {
    spec
      .given([claimed()])
      .when(claim({ nodeId: 'node-b', at: '2026-01-01T10:02:00.000Z' }))
      .then([claimed({ nodeId: 'node-b', attempt: 2, claimedAt: '2026-01-01T10:02:00.000Z', leaseUntil: '2026-01-01T10:03:00.000Z' })]);
  });

  it('lets the same node take its own job over at once (a restart after a crash)', () => {
    spec
      .given([claimed()])
      .when(claim({ at: '2026-01-01T10:00:10.000Z' }))
      .then([claimed({ attempt: 2, claimedAt: '2026-01-01T10:00:10.000Z', leaseUntil: '2026-01-01T10:01:10.000Z' })]);
  });

  it('stops after the last attempt', () => {
    const error = spec
      .given([claimed(), claimed({ attempt: 2 }), claimed({ attempt: 3 })])
      .when(claim({ at: '2026-01-01T11:00:00.000Z' }))
      .thenThrows('gone');
    expect(error).toBeInstanceOf(DomainError);
  });

  describe('released on a clean shutdown', () => {
    it('the holder releases its claim', () => {
      spec.given([claimed()]).when(release()).then([released()]);
    });

    it('another node claims a released job at once, and the released attempt does not count', () => {
      spec
        .given([claimed(), released()])
        .when(claim({ nodeId: 'node-b', at: '2026-01-01T10:00:30.000Z' }))
        .then([claimed({ nodeId: 'node-b', attempt: 1, claimedAt: '2026-01-01T10:00:30.000Z', leaseUntil: '2026-01-01T10:01:30.000Z' })]);
    });

    it('a node cannot release a claim it does not hold, nor release twice', () => {
      spec
        .given([claimed()])
        .when(release({ nodeId: 'node-b' }))
        .then([]);
      spec.given([claimed(), released()]).when(release()).then([]);
      spec.given([]).when(release()).then([]);
    });
  });

  it('renews the lease of the claiming node, without counting an attempt', () => {
    spec.given([claimed()]).when(renew()).then([renewed()]);
    // Renewed, the job stays with node-a past the first lease, and a later claim is still attempt 2.
    spec
      .given([claimed(), renewed()])
      .when(claim({ nodeId: 'node-b', at: '2026-01-01T10:01:20.000Z' }))
      .thenThrows('conflict');
    spec
      .given([claimed(), renewed()])
      .when(claim({ nodeId: 'node-b', at: '2026-01-01T10:02:00.000Z' }))
      .then([claimed({ nodeId: 'node-b', attempt: 2, claimedAt: '2026-01-01T10:02:00.000Z', leaseUntil: '2026-01-01T10:03:00.000Z' })]);
  });

  it('renews a lease run out as long as no other node has claimed since', () => {
    spec
      .given([claimed()])
      .when(renew({ at: '2026-01-01T10:05:00.000Z' }))
      .then([renewed({ renewedAt: '2026-01-01T10:05:00.000Z', leaseUntil: '2026-01-01T10:06:00.000Z' })]);
  });

  it('refuses a renewal by a node that does not hold the job (another claimed it, or none did)', () => {
    spec
      .given([claimed(), claimed({ nodeId: 'node-b', attempt: 2 })])
      .when(renew())
      .thenThrows('conflict');
    spec.given([]).when(renew()).thenThrows('conflict');
  });
});
