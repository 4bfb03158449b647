import { keepPreviousData } from '@tanstack/react-query';
import { useCallback, useState } from 'react';

/**
 * Read-your-writes for the workflow lists: a mutation answers the log position it reached, and
 * the list is read again with `?after=` that position, so it shows the change (docs/api.md §5).
 */
export function useAfter() {
  const [after, setAfter] = useState<number | undefined>(undefined);
  const reached = useCallback((position: number | null | undefined) => {
    if (typeof position === 'number') setAfter((p) => Math.max(p ?? 0, position));
  }, []);
  return {
    after,
    reached,
    /** The `after` query parameter, when a write has been made on this screen. */
    query: after !== undefined ? { after } : {},
    /** Keep the rows on screen while the list is read again after a write. */
    placeholderData: keepPreviousData,
  };
}

/**
 * The log's head position, for a write that answers none (a 204): the list read `?after=` it
 * includes that write. Undefined when the server does not say.
 */
export async function headPosition(): Promise<number | undefined> {
  try {
    const response = await fetch('/health/ready');
    if (!response.ok) return undefined;
    const body = (await response.json()) as { position?: unknown };
    return typeof body.position === 'number' ? body.position : undefined;
  } catch {
    return undefined;
  }
}

/** Today as the server counts days (UTC), YYYY-MM-DD. */
export function todayUtc(): string {
  return new Date().toISOString().slice(0, 10);
}
