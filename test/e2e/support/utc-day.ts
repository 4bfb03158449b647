import { setTimeout as sleep } from 'node:timers/promises';

/** Today's date in UTC, as the query audit names its days (`query-audit-YYYY-MM-DD`). */
export const utcToday = (): string => new Date().toISOString().slice(0, 10);

/**
 * For tests that make queries and then read them back by their day: when UTC midnight is less
 * than `withinMs` away, waits until it has passed, so that the queries and their reading fall on
 * the same day. Returns that day.
 */
export async function sameUtcDayFor(withinMs: number): Promise<string> {
  const now = Date.now();
  const midnight = Date.UTC(new Date(now).getUTCFullYear(), new Date(now).getUTCMonth(), new Date(now).getUTCDate() + 1);
  if (midnight - now < withinMs) await sleep(midnight - now + 1000);
  return utcToday();
}
