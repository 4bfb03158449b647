import Database from '@medrec/sqlite';
import { existsSync } from 'node:fs';
import { makePrivateDatabaseFileSync } from '@medrec/crypto';
import { clearStatementCache } from './statement-cache';
import { type ProjectedEvent, projectBatch, type Projection, RECORD_DESTROYED } from './projection';

/** Opens the read-model database (its own file) as every writer of it must: the runner and its replay thread. */
export function openReadModelDb(filename: string): Database.Database {
  // Rows hold decrypted PHI (names, MRNs, OCR text): owner-only, with its -wal and -shm.
  makePrivateDatabaseFileSync(filename);
  const db = new Database(filename);
  // The log is the source of truth: a read model may lose its last transactions on power loss
  // and replays them, so NORMAL durability is enough and keeps rebuilds fast.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  // Rows of a destroyed record hold decrypted PHI: deleted pages are overwritten, not left in free space.
  db.pragma('secure_delete = ON');
  db.exec(`CREATE TABLE IF NOT EXISTS projection_checkpoints (
    name TEXT PRIMARY KEY, version INTEGER NOT NULL, position INTEGER NOT NULL)`);
  return db;
}

/**
 * Each projection's checkpoint (version and position) as a read-model file records them, read
 * without changing anything (a runner's constructor drops projections whose version changed).
 * Empty when the file or its table does not exist yet.
 */
export function readCheckpoints(filename: string): Map<string, { version: number; position: number }> {
  if (!existsSync(filename)) return new Map();
  const db = new Database(filename, { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare('SELECT name, version, position FROM projection_checkpoints').all() as Array<{ name: string; version: number; position: number }>;
    return new Map(rows.map((r) => [r.name, { version: r.version, position: r.position }]));
  } catch {
    return new Map();
  } finally {
    db.close();
  }
}

/**
 * Applies decoded batches of the log to projections, each batch with the projections' new
 * checkpoints in one transaction. Each projection's checkpoint is read again inside the
 * transaction (another runner on the same file may have applied part of the batch meanwhile),
 * once per projection and batch, and only later events are applied to it.
 *
 * After a batch that destroys a record, the WAL is checkpointed and truncated: secure_delete
 * overwrites the deleted rows in the database file, but the WAL still holds the pages written
 * when they were inserted (title, recipient, OCR text) until it is reset. A TRUNCATE checkpoint
 * cannot complete while another connection reads an older snapshot; it is not waited for (that
 * would stall the caller) but tried again after every later batch and by truncateWalIfDue().
 */
export class BatchApplier {
  private walToTruncate = false;

  private readonly checkpoints: {
    all: Database.Statement<[], { name: string; position: number }>;
    one: Database.Statement<[string], number>;
    advance: Database.Statement<[number, string]>;
    reset: Database.Statement<[string, number]>;
    version: Database.Statement<[string], { version: number }>;
  };

  constructor(
    readonly db: Database.Database,
    private readonly projections: readonly Projection[],
  ) {
    this.checkpoints = {
      all: db.prepare('SELECT name, position FROM projection_checkpoints'),
      one: db.prepare<[string], number>('SELECT position FROM projection_checkpoints WHERE name = ?').pluck(),
      advance: db.prepare('UPDATE projection_checkpoints SET position = ? WHERE name = ?'),
      reset: db.prepare('INSERT OR REPLACE INTO projection_checkpoints (name, version, position) VALUES (?, ?, 0)'),
      version: db.prepare('SELECT version FROM projection_checkpoints WHERE name = ?'),
    };
  }

  apply(events: readonly ProjectedEvent[], last: number): void {
    this.db.transaction(() => this.applyInTransaction(events, last))();
    this.afterCommit(events);
  }

  /**
   * apply() inside a transaction the caller opened (and commits, then calls afterCommit): the
   * replay thread puts several batches in one transaction. Not a savepoint of its own: FTS5 writes
   * its pending index data out at every savepoint.
   */
  applyInTransaction(events: readonly ProjectedEvent[], last: number): void {
    for (const projection of this.projections) {
      const at = this.checkpoint(projection.name);
      projectBatch(
        this.db,
        projection,
        events.filter((e) => e.stored.position > at),
      );
      if (last > at) this.checkpoints.advance.run(last, projection.name);
    }
  }

  /** After the commit of events applied by applyInTransaction: truncates the WAL if they destroyed a record. */
  afterCommit(events: readonly ProjectedEvent[]): void {
    if (events.some((e) => e.type === RECORD_DESTROYED)) this.walToTruncate = true;
    this.truncateWalIfDue();
  }

  /** Notes that the WAL holds rows of a destroyed record (applied by another connection to the file). */
  truncateWalLater(): void {
    this.walToTruncate = true;
  }

  /** Checkpoints and truncates the WAL if a destruction is pending; false while other readers keep it busy. */
  truncateWalIfDue(): boolean {
    if (!this.walToTruncate) return true;
    const busyTimeout = this.db.pragma('busy_timeout', { simple: true }) as number;
    this.db.pragma('busy_timeout = 0');
    try {
      const [result] = this.db.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number }>;
      this.walToTruncate = result?.busy === 1;
    } finally {
      this.db.pragma(`busy_timeout = ${busyTimeout}`);
    }
    return !this.walToTruncate;
  }

  checkpoint(name: string): number {
    return this.checkpoints.one.get(name) ?? 0;
  }

  /** Position up to which every projection has applied the log. */
  position(): number {
    const byName = new Map(this.checkpoints.all.all().map((r) => [r.name, r.position]));
    return Math.min(...this.projections.map((p) => byName.get(p.name) ?? 0));
  }

  /** Creates a projection's tables; drops them first and restarts it from 0 when its version changed. */
  prepare(projection: Projection): void {
    const row = this.checkpoints.version.get(projection.name);
    this.db.transaction(() => {
      if (row && row.version !== projection.version) {
        projection.drop(this.db);
        clearStatementCache(this.db);
      }
      projection.migrate(this.db);
      if (!row || row.version !== projection.version) this.checkpoints.reset.run(projection.name, projection.version);
    })();
  }

  /** Drops projections' tables and restarts them from 0. */
  reset(targets: readonly Projection[]): void {
    this.db.transaction(() => {
      for (const p of targets) {
        p.drop(this.db);
        clearStatementCache(this.db);
        p.migrate(this.db);
        this.checkpoints.reset.run(p.name, p.version);
      }
    })();
  }
}
