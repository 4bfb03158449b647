import type Database from 'better-sqlite3';

/** Bumped (with a migration) whenever the tables below change. Stored in PRAGMA user_version. */
export const SCHEMA_VERSION = 1;

/**
 * `events.position` is the rowid (no AUTOINCREMENT): SQLite assigns max(rowid) + 1, and rows are
 * never deleted, so positions are gap-free — a rolled-back insert leaves no hole.
 * `streams` only holds streams that were deleted: `truncate_before` is the first revision still
 * visible, `tombstoned` forbids further appends. Events of deleted streams stay in `events`
 * (readAll keeps returning them, like EventStoreDB before a scavenge).
 */
const DDL = `
CREATE TABLE IF NOT EXISTS events (
  position    INTEGER PRIMARY KEY,
  id          TEXT    NOT NULL UNIQUE,
  stream      TEXT    NOT NULL,
  revision    INTEGER NOT NULL,
  type        TEXT    NOT NULL,
  data        TEXT    NOT NULL,
  metadata    TEXT    NOT NULL,
  recorded_at TEXT    NOT NULL,
  UNIQUE (stream, revision)
);
CREATE TABLE IF NOT EXISTS streams (
  name            TEXT    PRIMARY KEY,
  truncate_before INTEGER NOT NULL,
  tombstoned      INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
`;

export interface SqlitePragmaOptions {
  busyTimeoutMs: number;
}

/**
 * WAL lets readers (subscriptions, other processes) run beside the writer; synchronous = FULL
 * fsyncs the WAL on every commit, so an acknowledged append survives power loss.
 */
export function applyPragmas(db: Database.Database, options: SqlitePragmaOptions): void {
  db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs)}`);
  if (!db.memory) {
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (String(mode).toLowerCase() !== 'wal') throw new Error(`Could not switch the event store to WAL (got ${String(mode)})`);
  }
  db.pragma('synchronous = FULL');
}

export function migrate(db: Database.Database): void {
  // IMMEDIATE: two processes opening a fresh file at once must not both try to create it.
  db.transaction(() => {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw new Error(`Event store schema version ${version} is newer than this build supports (${SCHEMA_VERSION})`);
    }
    if (version < SCHEMA_VERSION) {
      db.exec(DDL);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    }
  }).immediate();
}
