import { DomainError } from './domain-error';

/**
 * Competing consumers over any event store, the rules every claimed job shares (OCR jobs, stack
 * splits): a claim is appended with the expected revision, so one node wins; it holds until its
 * lease runs out unless its node renews it; every claim is an attempt, so work that crashes its
 * node cannot loop forever. `what` names the job in refusals.
 */
export interface LeaseState {
  attempts: number;
  lastClaim?: { nodeId: string; leaseUntil: string };
}

export interface LeaseRequest {
  nodeId: string;
  /** ISO 8601. */
  at: string;
  leaseMs: number;
}

/** The attempt number and lease end of a new claim, or a conflict (held by another node) / gone (attempts used up). */
export function claimLease(state: LeaseState, request: LeaseRequest & { maxAttempts: number }, what: string): { attempt: number; leaseUntil: string } {
  const { lastClaim } = state;
  if (lastClaim && lastClaim.nodeId !== request.nodeId && lastClaim.leaseUntil > request.at) {
    throw new DomainError('conflict', `The ${what} is claimed by another worker`);
  }
  if (state.attempts >= request.maxAttempts) throw new DomainError('gone', `The ${what} has used all its attempts`);
  return { attempt: state.attempts + 1, leaseUntil: leaseEnd(request) };
}

/** Only the node of the last claim renews, even once its lease has run out, as long as no other node has claimed since. */
export function renewLease(state: LeaseState, request: LeaseRequest, what: string): { leaseUntil: string } {
  if (state.lastClaim?.nodeId !== request.nodeId) throw new DomainError('conflict', `The ${what} is claimed by another worker`);
  return { leaseUntil: leaseEnd(request) };
}

const leaseEnd = ({ at, leaseMs }: LeaseRequest): string => new Date(Date.parse(at) + leaseMs).toISOString();
