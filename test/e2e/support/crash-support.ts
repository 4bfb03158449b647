import Database from '@medrec/sqlite';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Client, recordForm, TINY_PNG } from './harness';

/** Rows of the embedded SQLite event store, read straight from its file (the server may be dead); none before it exists. */
export function readEventStore<T>(dataDir: string, sql: string, ...params: unknown[]): T[] {
  const file = join(dataDir, 'events.db');
  if (!existsSync(file)) return [];
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

/** Events of one type in the log, per stream. */
export function eventsPerStream(dataDir: string, type: string): Map<string, number> {
  const rows = readEventStore<{ stream: string; n: number }>(dataDir, 'SELECT stream, count(*) AS n FROM events WHERE type = ? GROUP BY stream', type);
  return new Map(rows.map((r) => [r.stream, r.n]));
}

/** Events of one type in the whole log. */
export const eventCount = (dataDir: string, type: string): number =>
  readEventStore<{ n: number }>(dataDir, 'SELECT count(*) AS n FROM events WHERE type = ?', type)[0]?.n ?? 0;

/**
 * `count` records uploaded by the clerk, `concurrency` at a time, each a tiny PNG made distinct by
 * `label` (no duplicate refusals) with the fields `fieldsOf(i)` gives; their ids.
 */
export async function uploadTinyCharts(
  clerk: Client,
  count: number,
  label: string,
  fieldsOf: (i: number) => Record<string, string>,
  concurrency = 8,
): Promise<string[]> {
  const ids: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        const res = await clerk.request('POST', '/api/records', { form: recordForm(fieldsOf(i), Buffer.concat([TINY_PNG, Buffer.from(`${label}-${i}`)])) });
        if (res.status !== 201) throw new Error(`upload ${i}: ${res.status} ${JSON.stringify(res.body)}`);
        ids.push(res.body.id);
      }
    }),
  );
  return ids;
}
