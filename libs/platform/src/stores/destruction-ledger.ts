import { accessSync, closeSync, constants, existsSync, fstatSync, fsyncSync, openSync, readFileSync, readSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { makePrivateDirSync, PRIVATE_FILE_MODE } from '@medrec/crypto';

/**
 * One destroyed record, as its tombstone (RecordDestroyed) says: ids, usernames of staff, the legal
 * authority (a citation, in clear on the tombstone too) and times. Never PHI.
 */
export interface DestructionLedgerEntry {
  recordId: string;
  authority: string;
  approvedBy: string;
  destroyedBy: string;
  destroyedAt: string;
  /** The disposal batch that destroyed it (its certificate of destruction names the batch). */
  batchId?: string;
  /** When the entry was written: just before the record's data key was destroyed. */
  loggedAt: string;
}

export type DestructionTombstone = Omit<DestructionLedgerEntry, 'loggedAt'>;

/**
 * The destruction ledger: an append-only JSON-lines file of every record whose data key was
 * destroyed, kept apart from the data directory and from its backups. A restore brings back a
 * backup taken before some destructions; re-applying the ledger destroys those records again.
 *
 * Each entry is written and fsynced before the key is destroyed (write-ahead), so a destroyed key
 * always has its entry. Appends arriving while one is being written are written together (one
 * write and one fsync for all of them). Lines are appended with O_APPEND, so several processes may
 * share the file.
 */
export class DestructionLedger {
  private queue: Array<{ line: string; done: (error?: Error) => void }> = [];
  private flushing: Promise<void> | null = null;

  constructor(readonly file: string) {}

  /** Resolves once every entry is on disk. */
  async record(tombstones: readonly DestructionTombstone[]): Promise<void> {
    if (tombstones.length === 0) return;
    const loggedAt = new Date().toISOString();
    const line = tombstones.map((t) => JSON.stringify(toEntry(t, loggedAt)) + '\n').join('');
    await new Promise<void>((resolve, reject) => {
      this.queue.push({ line, done: (error) => (error ? reject(error) : resolve()) });
      this.flushing ??= this.flush();
    });
  }

  /**
   * Checks that the file, or the nearest existing directory it would be created in, is writable
   * (creating nothing): a process that destroys records calls it at start, so a ledger it cannot
   * write stops it there rather than at its first destruction.
   */
  ensureWritable(): void {
    try {
      let path = this.file;
      while (!existsSync(path) && dirname(path) !== path) path = dirname(path);
      if (path !== this.file && !statSync(path).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
      accessSync(path, path === this.file ? constants.W_OK : constants.W_OK | constants.X_OK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      throw new Error(
        `The destruction ledger ${this.file} cannot be written (${code}): set MEDREC_DESTRUCTION_LEDGER to a writable file outside the data directory`,
      );
    }
  }

  /** Every entry in the order written. A line that is not a valid entry (a torn last line after a crash) is reported, not returned. */
  read(): { entries: DestructionLedgerEntry[]; invalidLines: number[] } {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], invalidLines: [] };
      throw error;
    }
    const entries: DestructionLedgerEntry[] = [];
    const invalidLines: number[] = [];
    for (const [index, line] of text.split('\n').entries()) {
      if (line.trim() === '') continue;
      const entry = parseEntry(line);
      if (entry) entries.push(entry);
      else invalidLines.push(index + 1);
    }
    return { entries, invalidLines };
  }

  private async flush(): Promise<void> {
    // Let the appends of this tick join the first write.
    await Promise.resolve();
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      let failure: Error | undefined;
      try {
        appendDurably(this.file, batch.map((b) => b.line).join(''));
      } catch (error) {
        failure = error as Error;
      }
      for (const b of batch) b.done(failure);
    }
    this.flushing = null;
  }
}

function appendDurably(file: string, text: string): void {
  makePrivateDirSync(dirname(file));
  const created = !existsSync(file);
  const fd = openSync(file, 'a+', PRIVATE_FILE_MODE);
  try {
    // A line torn by a crash mid-write must not swallow the next entry: start on a line of its own.
    const size = fstatSync(fd).size;
    const last = Buffer.alloc(1);
    const torn = size > 0 && readSync(fd, last, 0, 1, size - 1) === 1 && last[0] !== 0x0a;
    const bytes = Buffer.from((torn ? '\n' : '') + text, 'utf8');
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(fd, bytes, offset);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  // A new file's name must survive a power cut too.
  if (created && process.platform !== 'win32') {
    const dir = openSync(dirname(file), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  }
}

function toEntry(t: DestructionTombstone, loggedAt: string): DestructionLedgerEntry {
  return {
    recordId: t.recordId,
    authority: t.authority,
    approvedBy: t.approvedBy,
    destroyedBy: t.destroyedBy,
    destroyedAt: t.destroyedAt,
    ...(t.batchId !== undefined ? { batchId: t.batchId } : {}),
    loggedAt,
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function parseEntry(line: string): DestructionLedgerEntry | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  const text = (name: string) => {
    const field = v[name];
    return typeof field === 'string' && field.length > 0 && field.length <= 1000;
  };
  if (typeof v.recordId !== 'string' || !UUID.test(v.recordId)) return null;
  if (!['authority', 'approvedBy', 'destroyedBy', 'destroyedAt', 'loggedAt'].every(text)) return null;
  if (v.batchId !== undefined && (typeof v.batchId !== 'string' || !UUID.test(v.batchId))) return null;
  return toEntry(v as unknown as DestructionTombstone, v.loggedAt as string);
}
