import type Database from 'better-sqlite3';
import { recordAccessStream } from '@medrec/domain';
import type { EventStore, StoredEvent } from '@medrec/event-store';
import { AccessEntry, accessEntryOf, recordTimeline, TimelineEntry, timelineEntryOfAccess } from './record-timeline.projection';

/**
 * Where the next page of a record's timeline or access log starts: after log position `p`
 * (timeline rows) and at revision `r` of the record's access stream.
 */
export interface PageCursor {
  p: number;
  r: number;
}

export interface PageRequest {
  limit: number;
  cursor?: PageCursor;
}

/** The opaque form of a cursor (not secret: positions and revisions, no PHI). */
export const encodePageCursor = (cursor: PageCursor): string => Buffer.from(JSON.stringify(cursor)).toString('base64url');

/** Up to `limit` accesses from revision `fromRevision` of the access stream, up to position `upTo`. */
async function accessesFrom(
  events: EventStore,
  recordId: string,
  fromRevision: number,
  upTo: number,
  limit: number,
): Promise<{ taken: StoredEvent[]; more: boolean }> {
  const raw = await events.readStream(recordAccessStream(recordId), { fromRevision, maxCount: limit + 1 });
  const inView = raw.filter((e) => e.position <= upTo && e.type === 'RecordAccessed');
  return { taken: inView.slice(0, limit), more: inView.length > limit };
}

/** One page of a record's access log, in log order, up to and including position `upTo`. */
export async function accessLogPage(
  events: EventStore,
  recordId: string,
  upTo: number,
  page: PageRequest,
): Promise<{ accesses: AccessEntry[]; nextCursor: string | null }> {
  const { taken, more } = await accessesFrom(events, recordId, page.cursor?.r ?? 0, upTo, page.limit);
  const last = taken[taken.length - 1];
  return { accesses: taken.map(accessEntryOf), nextCursor: more && last ? encodePageCursor({ p: last.position, r: last.revision + 1 }) : null };
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
  return { timeline: taken.map((m) => m.entry), nextCursor: encodePageCursor(cursor) };
}
