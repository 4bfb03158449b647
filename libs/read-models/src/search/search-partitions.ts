import type Database from 'better-sqlite3';
import { statement } from '../statement-cache';

/**
 * The search text lives in FTS5 tables of consecutive row-id ranges ("partitions"): rows go into
 * the newest, and a new one starts when it holds PARTITION_ROWS ids.
 *
 * Why: FTS5's bm25() computes each phrase's IDF by reading every row the phrase matches in the
 * table, whatever the query's LIMIT. At a million documents that was 90% of a query's time
 * (a two-word phrase: ~95 ms of ~110; "the NOT and": two full doclists). A search ranks the most
 * recent RANKED_CANDIDATES matches, which a frequent phrase finds in the newest partition: its IDF
 * is then read over that partition only. A rare phrase walks further back, and its short doclists
 * cost little in each partition. A row's BM25 uses its own partition's statistics (IDF, average
 * length), a sample of the whole collection's.
 *
 * `search_partitions(n, first_id)` lists them; partition n's table is `search_fts<n>` and holds the
 * ids from its first_id up to the next partition's.
 */
export const PARTITION_ROWS = 131_072;

/** bm25 column weights: title, patient, mrn, body (kind and facets do not count). */
const SEARCH_RANK = 'bm25(2.0, 2.0, 2.0, 1.0, 0.0, 0.0)';
export const rankSql = (table: string): string => `bm25(${table}, 2.0, 2.0, 2.0, 1.0, 0.0, 0.0)`;

/**
 * hashsize: FTS5 keeps up to this much new index data in memory before writing a segment
 * (default 1 MB). A rebuild's large transactions then write a few big segments instead of many
 * small ones that must be merged again (~20% of a 100k-document rebuild); the memory is only used
 * while a transaction holds that much new text. 32 MB, not 64: the replay thread's group commits
 * (25,000 events) fill it, and 64 MB cost 32 MB of resident memory for ~3% less FTS5 CPU time.
 */
const FTS_HASH_BYTES = 32 * 1024 * 1024;

export interface Partition {
  n: number;
  firstId: number;
  table: string;
}

const partitionTable = (n: number): string => `search_fts${n}`;

export const PARTITIONS_TABLE = 'CREATE TABLE IF NOT EXISTS search_partitions (n INTEGER PRIMARY KEY, first_id INTEGER NOT NULL UNIQUE)';

/** The partitions, oldest first. */
export function listPartitions(db: Database.Database): Partition[] {
  const rows = statement<[], { n: number; first_id: number }>(db, 'SELECT n, first_id FROM search_partitions ORDER BY n').all();
  return rows.map((r) => ({ n: r.n, firstId: r.first_id, table: partitionTable(r.n) }));
}

/** The partition holding `id` (partitions oldest first, the first starting at or below every id). */
export function partitionOf(partitions: readonly Partition[], id: number): Partition {
  for (let i = partitions.length - 1; i > 0; i--) if (id >= partitions[i].firstId) return partitions[i];
  return partitions[0];
}

/**
 * Creates partition n for ids from firstId, with the settings of the one before it (a replay's
 * merge settings, Projection.replaySettings, hold for a partition it starts).
 */
export function createPartition(db: Database.Database, n: number, firstId: number, previous?: Partition): Partition {
  // The previous partition's pending index data (up to hashsize) is written out now, not at commit:
  // a merge command writes it first; one page of merging is the least it can be asked.
  if (previous) db.exec(`INSERT INTO ${previous.table} (${previous.table}, rank) VALUES ('merge', 1)`);
  const table = partitionTable(n);
  db.exec(`CREATE VIRTUAL TABLE ${table} USING fts5(title, patient, mrn, body, kind, facets, tokenize = 'unicode61 remove_diacritics 2')`);
  const merges = previous ? mergeSettings(db, previous.table) : DEFAULT_MERGES;
  db.exec(
    `INSERT INTO ${table} (${table}, rank) VALUES ('rank', '${SEARCH_RANK}'), ('secure-delete', 1), ('hashsize', ${FTS_HASH_BYTES}),
      ('automerge', ${merges.automerge}), ('crisismerge', ${merges.crisismerge})`,
  );
  statement(db, 'INSERT INTO search_partitions (n, first_id) VALUES (?, ?)').run(n, firstId);
  return { n, firstId, table };
}

interface Merges {
  automerge: number;
  crisismerge: number;
}
/** FTS5's own defaults. */
const DEFAULT_MERGES: Merges = { automerge: 4, crisismerge: 16 };

function mergeSettings(db: Database.Database, table: string): Merges {
  const rows = db.prepare(`SELECT k, v FROM ${table}_config WHERE k IN ('automerge', 'crisismerge')`).all() as Array<{ k: string; v: number }>;
  const merges = { ...DEFAULT_MERGES };
  for (const { k, v } of rows) merges[k as keyof Merges] = Number(v);
  return merges;
}

/** Sets merge settings on every partition. */
export function setMerges(db: Database.Database, merges: Merges): void {
  for (const { table } of listPartitions(db)) {
    db.exec(`INSERT INTO ${table} (${table}, rank) VALUES ('automerge', ${merges.automerge}), ('crisismerge', ${merges.crisismerge})`);
  }
}
export const resetMerges = (db: Database.Database): void => setMerges(db, DEFAULT_MERGES);

/** Drops every partition and the list (and the single table of the projection's version 3). */
export function dropPartitions(db: Database.Database): void {
  const listed = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'search_partitions'").get();
  if (listed) for (const { table } of listPartitions(db)) db.exec(`DROP TABLE IF EXISTS ${table}`);
  db.exec('DROP TABLE IF EXISTS search_partitions; DROP TABLE IF EXISTS search_fts');
}
