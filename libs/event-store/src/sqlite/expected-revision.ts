import { ExpectedRevision, StreamDeletedError, WrongExpectedRevisionError } from '../event-store.port';

/** What the store knows about a stream when checking an expected revision. */
export interface StreamState {
  /** Revision of the newest event ever written to the stream (deleted or not), null if none. */
  lastRevision: number | null;
  /** First revision still visible (0 unless the stream was deleted). */
  truncateBefore: number;
  tombstoned: boolean;
}

/** The stream's visible last revision, or null when it does not exist (never written, or deleted). */
export function visibleRevision(state: StreamState): number | null {
  const { lastRevision, truncateBefore } = state;
  return lastRevision !== null && lastRevision >= truncateBefore ? lastRevision : null;
}

/**
 * Throws unless `expected` matches. A soft-deleted stream counts as absent: 'no_stream' may
 * revive it (revisions continue after the deleted ones), and a numeric revision never matches
 * it, so a writer that read the stream before the delete cannot append on stale state.
 */
export function checkExpectedRevision(stream: string, expected: ExpectedRevision, state: StreamState): void {
  if (state.tombstoned) throw new StreamDeletedError(stream);
  if (expected === 'any') return;
  const current = visibleRevision(state);
  const ok = expected === 'no_stream' ? current === null : expected === 'stream_exists' ? current !== null : current === expected;
  if (!ok) throw new WrongExpectedRevisionError(stream, expected, current ?? 'no_stream');
}

export function assertValidExpectedRevision(expected: unknown): asserts expected is ExpectedRevision {
  if (expected === 'any' || expected === 'no_stream' || expected === 'stream_exists') return;
  if (typeof expected === 'number' && Number.isSafeInteger(expected) && expected >= 0) return;
  throw new TypeError(`Invalid expected revision: ${String(expected)}`);
}
