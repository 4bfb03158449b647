import { BadRequestException } from '@nestjs/common';
import { recordAccessStream } from '@medrec/domain';
import type Database from 'better-sqlite3';
import type { EventStore, StoredEvent } from '@medrec/event-store';
import { AccessEntry, accessEntryOf, recordTimeline, TimelineEntry, timelineEntryOfAccess } from '@medrec/read-models';

/** Entries per page of a history timeline or an access log when `limit` is not given, and at most. */
export const DEFAULT_PAGE_SIZE = 1000;
export const MAX_PAGE_SIZE = 10_000;

/**
 * Where the next page starts: after log position `p` (timeline rows) and at revision `r` of the
 * record's access stream. Not secret (positions and revisions, no PHI), but checked.
 */
export interface PageCursor {
  p: number;
  r: number;
}

export interface PageRequest {
  limit: number;
  cursor?: PageCursor;
}

const encode = (cursor: PageCursor): string => Buffer.from(JSON.stringify(cursor)).toString('base64url');

/** `?limit=` (1–10,000, default 1,000) and `?cursor=` (a nextCursor this endpoint returned); 400 otherwise. */
export function parsePageRequest(limit: unknown, cursor: unknown): PageRequest {
  const page: PageRequest = { limit: DEFAULT_PAGE_SIZE };
  if (limit !== undefined) {
    if (typeof limit !== 'string' || !/^\d{1,5}$/.test(limit) || Number(limit) < 1 || Number(limit) > MAX_PAGE_SIZE) {
      throw new BadRequestException(`limit must be an integer from 1 to ${MAX_PAGE_SIZE}`);
    }
    page.limit = Number(limit);
  }
  if (cursor !== undefined) {
    const invalid = new BadRequestException('cursor must be a nextCursor this endpoint returned');
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

/** Up to `limit` accesses from revision `fromRevision` of the access stream, up to position `upTo`. */
async function accessesFrom(events: EventStore, recordId: string, fromRevision: number, upTo: number, limit: number): Promise<{ taken: StoredEvent[]; more: boolean }> {
  const raw = await events.readStream(recordAccessStream(recordId), { fromRevision, maxCount: limit + 1 });
  const inView = raw.filter((e) => e.position <= upTo && e.type === 'RecordAccessed');
  return { taken: inView.slice(0, limit), more: inView.length > limit };
}

/** One page of a record's access log, in log order, up to and including position `upTo`. */
export async function accessLogPage(events: EventStore, recordId: string, upTo: number, page: PageRequest): Promise<{ accesses: AccessEntry[]; nextCursor: string | null }> {
  const { taken, more } = await accessesFrom(events, recordId, page.cursor?.r ?? 0, upTo, page.limit);
  const last = taken[taken.length - 1];
  return { accesses: taken.map(accessEntryOf), nextCursor: more && last ? encode({ p: last.position, r: last.revision + 1 }) : null };
}

/**
 * One page of a record's timeline: the timeline read model's rows and the access stream's reads,
 * merged by log position. Each source is read from where the cursor left it.
 */
export async function timelinePage(
  db: Database.Database,
  events: EventStore,
  recordId: string,
  upTo: number,
  page: PageRequest,
): Promise<{ timeline: TimelineEntry[]; nextCursor: string | null }> {
  const rows = recordTimeline(db, recordId, upTo, { afterPosition: page.cursor?.p ?? 0, limit: page.limit + 1 });
  const { taken: reads } = await accessesFrom(events, recordId, page.cursor?.r ?? 0, upTo, page.limit + 1);
  const merged: Array<{ entry: TimelineEntry; revision?: number }> = [
    ...rows.map((entry) => ({ entry })),
    ...reads.map((e) => ({ entry: timelineEntryOfAccess(accessEntryOf(e)), revision: e.revision })),
  ].sort((x, y) => x.entry.position - y.entry.position);
  const taken = merged.slice(0, page.limit);
  if (merged.length <= page.limit) return { timeline: taken.map((m) => m.entry), nextCursor: null };
  const lastRead = taken.findLast((m) => m.revision !== undefined);
  const cursor = { p: taken[taken.length - 1].entry.position, r: lastRead ? lastRead.revision! + 1 : (page.cursor?.r ?? 0) };
  return { timeline: taken.map((m) => m.entry), nextCursor: encode(cursor) };
}
