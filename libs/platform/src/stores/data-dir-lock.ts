import { chmodSync, closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import Database from '@medrec/sqlite';

/** The lock file in a data directory: an empty SQLite database, read (shared) or written (exclusive) by its holders. */
export const DATA_DIR_LOCK_FILE = 'medrec.lock';

/** Another process holds the data directory in a way this one cannot share. */
export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    wanted: DataDirLockMode,
  ) {
    super(
      wanted === 'exclusive'
        ? `The data directory ${dataDir} is in use by a running medrec server or OCR worker: stop every process using it first.`
        : `The data directory ${dataDir} is being restored: start the server once the restore has ended.`,
    );
    this.name = 'DataDirInUseError';
  }
}

/** `shared`: a server or worker running on the directory; `exclusive`: a restore replacing its files. */
export type DataDirLockMode = 'shared' | 'exclusive';

export interface DataDirLock {
  /** Gives the directory up (idempotent). A process that dies gives it up too: the OS drops its locks. */
  release(): void;
}

/**
 * Takes the data directory for this process. Servers and OCR workers hold it `shared` for as long
 * as they run; a restore needs it `exclusive` (it replaces every file), so it is refused while any
 * of them runs, and none of them can start while it restores.
 *
 * The lock is SQLite's own on `medrec.lock`: with `locking_mode=EXCLUSIVE` a connection keeps the
 * SHARED lock of its first read, or the EXCLUSIVE lock of its first write, until it closes. Those
 * are POSIX advisory locks (and SQLite's own bookkeeping between connections of one process), so a
 * process that ends, however it ends, leaves nothing stale behind. Refuses at once
 * (DataDirInUseError) when the lock cannot be had.
 */
export function lockDataDir(dataDir: string, mode: DataDirLockMode): DataDirLock {
  const file = join(dataDir, DATA_DIR_LOCK_FILE);
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
  } catch (error) {
    db.close();
    if ((error as { code?: string }).code === 'SQLITE_BUSY') throw new DataDirInUseError(dataDir, mode);
    throw error;
  }
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      db.close();
    },
  };
}
