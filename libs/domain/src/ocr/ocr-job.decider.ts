import type { Decider } from '../shared/decider';
import { DomainError } from '../shared/domain-error';

/**
 * Competing consumers over any event store: OCR of one record version is claimed by appending
 * to the job's own stream with the expected revision, so exactly one worker wins each claim.
 * A claim holds until its lease runs out; a crashed worker's job is claimed again after that
 * (at once by the same node restarting). Every claim counts as an attempt, so a document that
 * crashes its worker cannot loop forever.
 */
export const ocrJobStream = (recordId: string, version: number): string => `ocr-job-${recordId}-v${version}`;

export interface OcrJobClaimed {
  type: 'OcrJobClaimed';
  data: { recordId: string; version: number; nodeId: string; attempt: number; claimedAt: string; leaseUntil: string };
}

export type OcrJobEvent = OcrJobClaimed;

export interface ClaimOcrJob {
  type: 'ClaimOcrJob';
  recordId: string;
  version: number;
  nodeId: string;
  at: string;
  leaseMs: number;
  maxAttempts: number;
}

export interface OcrJobState {
  attempts: number;
  lastClaim?: { nodeId: string; leaseUntil: string };
}

export const ocrJobDecider = {
  initialState: (): OcrJobState => ({ attempts: 0 }),

  decide(command: ClaimOcrJob, state: OcrJobState): OcrJobEvent[] {
    const { lastClaim } = state;
    if (lastClaim && lastClaim.nodeId !== command.nodeId && lastClaim.leaseUntil > command.at) {
      throw new DomainError('conflict', 'The OCR job is claimed by another worker');
    }
    if (state.attempts >= command.maxAttempts) {
      throw new DomainError('gone', 'The OCR job has used all its attempts');
    }
    const leaseUntil = new Date(Date.parse(command.at) + command.leaseMs).toISOString();
    return [
      {
        type: 'OcrJobClaimed',
        data: { recordId: command.recordId, version: command.version, nodeId: command.nodeId, attempt: state.attempts + 1, claimedAt: command.at, leaseUntil },
      },
    ];
  },

  evolve(state: OcrJobState, event: OcrJobEvent): OcrJobState {
    // One event type so far; when a second is added, close this with a switch ending in `unhandled`.
    return { attempts: event.data.attempt, lastClaim: { nodeId: event.data.nodeId, leaseUntil: event.data.leaseUntil } };
  },
} satisfies Decider<ClaimOcrJob, OcrJobEvent, OcrJobState>;
