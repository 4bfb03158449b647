import type Database from 'better-sqlite3';

/** What became of each write of a batch: a result, or the error of that write alone. */
export interface BatchOutcome {
  writes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }>;
  /** False when the batch's only write failed and its transaction was rolled back instead. */
  committed: boolean;
}

/**
 * Runs writes in ONE transaction, so that they share one fsync. Each write runs inside its own
 * SAVEPOINT: a write that throws (wrong expected revision, duplicate id) is rolled back alone and
 * its outcome is that error, the others commit. Throws, having rolled everything back, when the
 * transaction itself fails (the write lock not had within busy_timeout, I/O, disk full): then
 * nothing of the batch was written. Returns only after COMMIT returned, i.e. once the data is durable.
 */
export class BatchTransaction {
  private readonly begin: Database.Statement;
  private readonly commit: Database.Statement;
  private readonly rollback: Database.Statement;
  private readonly savepoint: Database.Statement;
  private readonly release: Database.Statement;
  private readonly rollbackToSavepoint: Database.Statement;

  constructor(private readonly db: Database.Database) {
    // BEGIN IMMEDIATE takes the write lock up front (waiting up to busy_timeout for another
    // process), so the revision checks inside cannot race another writer.
    this.begin = db.prepare('BEGIN IMMEDIATE');
    this.commit = db.prepare('COMMIT');
    this.rollback = db.prepare('ROLLBACK');
    this.savepoint = db.prepare('SAVEPOINT write_op');
    this.release = db.prepare('RELEASE write_op');
    this.rollbackToSavepoint = db.prepare('ROLLBACK TO write_op');
  }

  run(writes: ReadonlyArray<() => unknown>): BatchOutcome {
    const outcome = new Array<BatchOutcome['writes'][number]>(writes.length);
    try {
      this.begin.run();
      if (writes.length === 1) {
        // Alone in its transaction, a write needs no savepoint: if it throws, the rollback
        // below undoes exactly that write.
        try {
          outcome[0] = { ok: true, value: writes[0]() };
        } catch (error) {
          if (!this.db.inTransaction) throw error;
          this.rollback.run();
          return { writes: [{ ok: false, error }], committed: false };
        }
      } else {
        for (let i = 0; i < writes.length; i++) {
          this.savepoint.run();
          try {
            outcome[i] = { ok: true, value: writes[i]() };
            this.release.run();
          } catch (error) {
            // SQLite rolls the whole transaction back on some errors (disk full, I/O): then
            // nothing of the batch can commit.
            if (!this.db.inTransaction) throw error;
            this.rollbackToSavepoint.run();
            this.release.run();
            outcome[i] = { ok: false, error: error ?? new Error('write failed') };
          }
        }
      }
      this.commit.run();
    } catch (error) {
      if (this.db.inTransaction) {
        try {
          this.rollback.run();
        } catch {
          // The connection is unusable; the original error is the one to report.
        }
      }
      throw error;
    }
    return { writes: outcome, committed: true };
  }
}
