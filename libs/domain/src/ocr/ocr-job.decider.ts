import { type Decider, unhandled } from '../shared/decider';
import { claimLease, renewLease } from '../shared/lease';

/**
 * Competing consumers over any event store: OCR of one record version is claimed by appending
 * to the job's own stream with the expected revision, so exactly one worker wins each claim.
 * A claim holds until its lease runs out; the worker renews the lease while it works, so a lease
 * can be short, and a crashed worker's job is claimed again soon after (at once by the same node
 * restarting). Every claim counts as an attempt (a renewal does not), so a document that crashes
 * its worker cannot loop forever — except a claim its node released on a clean shutdown
 * (SIGTERM): the job is free again at once, and that attempt does not count.
 */
export const ocrJobStream = (recordId: string, version: number): string => `ocr-job-${recordId}-v${version}`;

export interface OcrJobClaimed {
  type: 'OcrJobClaimed';
  data: { recordId: string; version: number; nodeId: string; attempt: number; claimedAt: string; leaseUntil: string };
}

/** The node holding the claim gave it back unfinished (graceful shutdown): claimable at once. */
export interface OcrJobReleased {
  type: 'OcrJobReleased';
  data: { recordId: string; version: number; nodeId: string; attempt: number; releasedAt: string };
}

/** The claiming node still works on the job: its lease runs until `leaseUntil`. */
export interface OcrJobLeaseRenewed {
  type: 'OcrJobLeaseRenewed';
  data: { recordId: string; version: number; nodeId: string; renewedAt: string; leaseUntil: string };
}

export type OcrJobEvent = OcrJobClaimed | OcrJobReleased | OcrJobLeaseRenewed;

export interface ClaimOcrJob {
  type: 'ClaimOcrJob';
  recordId: string;
  version: number;
  nodeId: string;
  at: string;
  leaseMs: number;
  maxAttempts: number;
}

export interface ReleaseOcrJob {
  type: 'ReleaseOcrJob';
  recordId: string;
  version: number;
  nodeId: string;
  at: string;
}

export interface RenewOcrJobLease {
  type: 'RenewOcrJobLease';
  recordId: string;
  version: number;
  nodeId: string;
  at: string;
  leaseMs: number;
}

export type OcrJobCommand = ClaimOcrJob | ReleaseOcrJob | RenewOcrJobLease;

export interface OcrJobState {
  attempts: number;
  lastClaim?: { nodeId: string; leaseUntil: string };
}

export const ocrJobDecider = {
  initialState: (): OcrJobState => ({ attempts: 0 }),

  decide(command: OcrJobCommand, state: OcrJobState): OcrJobEvent[] {
    switch (command.type) {
      case 'ClaimOcrJob':
        return claim(command, state);
      case 'ReleaseOcrJob':
        // Only the holder releases, and only a claim it still holds; anything else is a no-op.
        if (state.lastClaim?.nodeId !== command.nodeId) return [];
        return [
          {
            type: 'OcrJobReleased',
            data: { recordId: command.recordId, version: command.version, nodeId: command.nodeId, attempt: state.attempts, releasedAt: command.at },
          },
        ];
      case 'RenewOcrJobLease':
        return renew(command, state);
      default:
        return unhandled(command, 'command');
    }
  },

  evolve(state: OcrJobState, event: OcrJobEvent): OcrJobState {
    switch (event.type) {
      case 'OcrJobClaimed':
        return { attempts: event.data.attempt, lastClaim: { nodeId: event.data.nodeId, leaseUntil: event.data.leaseUntil } };
      case 'OcrJobReleased':
        return { attempts: event.data.attempt - 1 };
      case 'OcrJobLeaseRenewed':
        return { ...state, lastClaim: { nodeId: event.data.nodeId, leaseUntil: event.data.leaseUntil } };
      default:
        return unhandled(event, 'event');
    }
  },
} satisfies Decider<OcrJobCommand, OcrJobEvent, OcrJobState>;

function claim(command: ClaimOcrJob, state: OcrJobState): OcrJobEvent[] {
  const { attempt, leaseUntil } = claimLease(state, command, 'OCR job');
  return [
    {
      type: 'OcrJobClaimed',
      data: { recordId: command.recordId, version: command.version, nodeId: command.nodeId, attempt, claimedAt: command.at, leaseUntil },
    },
  ];
}

function renew(command: RenewOcrJobLease, state: OcrJobState): OcrJobEvent[] {
  const { leaseUntil } = renewLease(state, command, 'OCR job');
  return [
    { type: 'OcrJobLeaseRenewed', data: { recordId: command.recordId, version: command.version, nodeId: command.nodeId, renewedAt: command.at, leaseUntil } },
  ];
}
