import { DomainError } from '@medrec/domain';
import type { ProjectionRunner } from '@medrec/read-models';

/** How long a query with `?after=` waits for the read models (API.md: up to 5 s). */
export const READ_YOUR_WRITES_TIMEOUT_MS = 5000;

/** `?after=<position>`: a non-negative integer, or absent. */
export function parseAfter(value: unknown): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || !/^\d{1,15}$/.test(value)) {
    throw DomainError.invalid([{ field: 'after', message: 'must be a position (a non-negative integer) returned by a mutation' }]);
  }
  return Number(value);
}

/**
 * Read-your-writes: waits until every projection has applied the log up to `after`. A view still
 * behind after the timeout answers 503 with Retry-After rather than silently older data.
 */
export async function awaitReadModels(runner: ProjectionRunner, after: unknown, timeoutMs = READ_YOUR_WRITES_TIMEOUT_MS): Promise<void> {
  const position = parseAfter(after);
  if (position === undefined) return;
  if (await runner.waitFor(position, timeoutMs)) return;
  throw new ReadModelBehindError(position);
}

/** 503 with `Retry-After` (problem-details.filter.ts). */
export class ReadModelBehindError extends Error {
  readonly retryAfterSeconds = 1;
  constructor(readonly position: number) {
    super(`The views have not yet reached position ${position}; retry shortly`);
    this.name = 'ReadModelBehindError';
  }
}
