import { chmodSync, closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import Database from '@medrec/sqlite';

/** The lock files in a data directory: empty SQLite databases, read (shared) or written (exclusive) by their holders. */
export const DATA_DIR_LOCK_FILE = 'medrec.lock';
export const SERVER_LOCK_FILE = 'medrec-server.lock';
export const LOCK_FILES: readonly string[] = [DATA_DIR_LOCK_FILE, SERVER_LOCK_FILE];

/**
 * Who takes the data directory: an API server (one per directory: its projections and its
 * in-process OCR are the directory's), an OCR worker (several may share a directory, and share it
 * with a server), or a restore (alone: it replaces every file).
 */
export type DataDirHolder = 'server' | 'worker' | 'restore';

const REFUSALS: Record<'restore-while-running' | 'while-restoring' | 'second-server', (dataDir: string) => string> = {
  'restore-while-running': (dir) => `The data directory ${dir} is in use by a running medrec server or OCR worker: stop every process using it first.`,
  'while-restoring': (dir) => `The data directory ${dir} is being restored: start the server once the restore has ended.`,
  'second-server': (dir) =>
    `The data directory ${dir} is in use by another medrec server: each API server needs a data directory of its own (its read models live there).`,
};

/** Another process holds the data directory in a way this one cannot share. */
export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    reason: keyof typeof REFUSALS,
  ) {
    super(REFUSALS[reason](dataDir));
    this.name = 'DataDirInUseError';
  }
}

export interface DataDirLock {
  /** Gives the directory up (idempotent). A process that dies gives it up too: the OS drops its locks. */
  release(): void;
}

/**
 * Takes the data directory for this process, for as long as it runs: refused at once
 * (DataDirInUseError) when the lock cannot be had. Servers and workers hold `medrec.lock` shared,
 * a restore holds it exclusive: a restore is refused while any of them runs, and none of them
 * starts while it restores. A server also holds `medrec-server.lock` exclusive: a second server on
 * the directory is refused.
 *
 * The locks are SQLite's own: with `locking_mode=EXCLUSIVE` a connection keeps the SHARED lock of
 * its first read, or the EXCLUSIVE lock of its first write, until it closes. Those are POSIX
 * advisory locks (and SQLite's own bookkeeping between connections of one process), so a process
 * that ends, however it ends, leaves nothing stale behind.
 */
export function lockDataDir(dataDir: string, holder: DataDirHolder): DataDirLock {
  const held = [
    lockFile(dataDir, DATA_DIR_LOCK_FILE, holder === 'restore' ? 'exclusive' : 'shared', holder === 'restore' ? 'restore-while-running' : 'while-restoring'),
  ];
  if (holder === 'server') {
    try {
      held.push(lockFile(dataDir, SERVER_LOCK_FILE, 'exclusive', 'second-server'));
    } catch (error) {
      held[0].close();
      throw error;
    }
  }
  return {
    release() {
      for (const db of held.splice(0)) db.close();
    },
  };
}

function lockFile(dataDir: string, name: string, mode: 'shared' | 'exclusive', refusal: keyof typeof REFUSALS): Database.Database {
  const file = join(dataDir, name);
  // Owner-only like everything in the data directory, whoever creates it first.
  closeSync(openSync(file, 'a', 0o600));
  chmodSync(file, 0o600);
  const db = new Database(file, { timeout: 0 });
  try {
    // No journal file beside it: the lock file is the only file it adds to the data directory.
    db.pragma('journal_mode = MEMORY');
    db.pragma('locking_mode = EXCLUSIVE');
    if (mode === 'shared') db.prepare('SELECT count(*) FROM sqlite_master').get();
    else db.exec('BEGIN EXCLUSIVE; CREATE TABLE IF NOT EXISTS lock (taken_at TEXT); DELETE FROM lock; INSERT INTO lock VALUES (datetime()); COMMIT;');
    return db;
  } catch (error) {
    db.close();
    if ((error as { code?: string }).code === 'SQLITE_BUSY') throw new DataDirInUseError(dataDir, refusal);
    throw error;
  }
}
