import { DomainError } from '@medrec/domain';

/**
 * `?after=<position>` (read-your-writes): a non-negative integer, or absent. The read models are
 * then waited for up to that position (ReadModels.reach: 503 with Retry-After when they stay behind).
 */
export function parseAfter(value: unknown): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || !/^\d{1,15}$/.test(value)) {
    throw DomainError.invalid([{ field: 'after', message: 'must be a position (a non-negative integer) returned by a mutation' }]);
  }
  return Number(value);
}
