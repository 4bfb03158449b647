import { DomainError } from '@medrec/domain';
import type { PageCursor, PageRequest } from '@medrec/read-models';

/** Entries per page of a history timeline or an access log when `limit` is not given, and at most. */
export const DEFAULT_PAGE_SIZE = 1000;
export const MAX_PAGE_SIZE = 10_000;

/** `?limit=` (1–10,000, default 1,000) and `?cursor=` (a nextCursor this endpoint returned); 400 otherwise. */
export function parsePageRequest(limit: unknown, cursor: unknown): PageRequest {
  const page: PageRequest = { limit: DEFAULT_PAGE_SIZE };
  if (limit !== undefined) {
    if (typeof limit !== 'string' || !/^\d{1,5}$/.test(limit) || Number(limit) < 1 || Number(limit) > MAX_PAGE_SIZE) {
      throw DomainError.invalid([{ field: 'limit', message: `must be an integer from 1 to ${MAX_PAGE_SIZE}` }]);
    }
    page.limit = Number(limit);
  }
  if (cursor !== undefined) {
    const invalid = DomainError.invalid([{ field: 'cursor', message: 'must be a nextCursor this endpoint returned' }]);
    if (typeof cursor !== 'string' || !/^[A-Za-z0-9_-]{1,100}$/.test(cursor)) throw invalid;
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    } catch {
      throw invalid;
    }
    const { p, r } = (parsed ?? {}) as Partial<PageCursor>;
    if (!Number.isSafeInteger(p) || !Number.isSafeInteger(r) || p! < 0 || r! < 0 || Object.keys(parsed as object).length !== 2) throw invalid;
    page.cursor = { p: p!, r: r! };
  }
  return page;
}
