import type Database from 'better-sqlite3';

interface QueuedWrite {
  run: () => unknown;
  // Method syntax: each write resolves its own promise's type.
  resolve(value: unknown): void;
  reject: (error: unknown) => void;
}

export interface GroupCommitStats {
  /** Write transactions committed. */
  transactions: number;
  /** Write operations run inside them (each in its own savepoint), including the ones that failed. */
  operations: number;
}

export interface GroupCommitOptions {
  /** Most operations per transaction; the rest go into the next one. */
  maxBatchSize: number;
  /** Called before a batch's transaction begins. */
  onBegin: () => void;
  /** Called after a batch's commit, once its callers' promises are settled. */
  onCommit: () => void;
}

/**
 * Group commit: writes queued while a flush is pending (within one turn of the event loop) run
 * in ONE transaction, so they share one fsync. Writes run in the order they were queued, so a
 * caller may issue an append that expects the revision of one it has not awaited yet. Each write runs inside its own SAVEPOINT: a write
 * that throws (wrong expected revision, duplicate id) is rolled back alone and its caller gets
 * the error, the others commit. Every caller's promise settles only after the COMMIT returned,
 * i.e. after the data is durable.
 *
 * The flush is scheduled with setImmediate rather than a microtask so that writes arriving in
 * the same poll phase (e.g. several HTTP requests) join the batch; it costs one loop turn.
 */
export class GroupCommitQueue {
  private pending: QueuedWrite[] = [];
  private scheduled = false;
  private readonly counters: GroupCommitStats = { transactions: 0, operations: 0 };
  private readonly begin: Database.Statement;
  private readonly commit: Database.Statement;
  private readonly rollback: Database.Statement;
  private readonly savepoint: Database.Statement;
  private readonly release: Database.Statement;
  private readonly rollbackToSavepoint: Database.Statement;
  private readonly flushCallback = () => {
    this.scheduled = false;
    this.flush();
  };

  constructor(
    private readonly db: Database.Database,
    private readonly options: GroupCommitOptions,
  ) {
    // BEGIN IMMEDIATE takes the write lock up front (waiting up to busy_timeout for another
    // process), so the revision checks inside cannot race another writer.
    this.begin = db.prepare('BEGIN IMMEDIATE');
    this.commit = db.prepare('COMMIT');
    this.rollback = db.prepare('ROLLBACK');
    this.savepoint = db.prepare('SAVEPOINT write_op');
    this.release = db.prepare('RELEASE write_op');
    this.rollbackToSavepoint = db.prepare('ROLLBACK TO write_op');
  }

  /** Queues `run` (synchronous, executed inside the batch transaction); settles after the commit. */
  enqueue<T>(run: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ run, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(this.flushCallback);
      }
    });
  }

  get size(): number {
    return this.pending.length;
  }

  stats(): GroupCommitStats {
    return { ...this.counters };
  }

  /** Runs everything queued now, synchronously (used on close). */
  drain(): void {
    while (this.pending.length > 0) this.flush();
  }

  private flush(): void {
    const batch = this.pending.length > this.options.maxBatchSize ? this.pending.splice(0, this.options.maxBatchSize) : this.pending.splice(0);
    if (this.pending.length > 0 && !this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushCallback);
    }
    if (batch.length === 0) return;

    const results: unknown[] = new Array(batch.length);
    const failures: unknown[] = new Array(batch.length);
    try {
      this.options.onBegin();
      this.begin.run();
      if (batch.length === 1) {
        // Alone in its transaction, a write needs no savepoint: if it throws, the rollback
        // below undoes exactly that write and rejects its caller.
        results[0] = batch[0].run();
      } else {
        for (let i = 0; i < batch.length; i++) {
          this.savepoint.run();
          try {
            results[i] = batch[i].run();
            this.release.run();
          } catch (error) {
            // SQLite rolls the whole transaction back on some errors (disk full, I/O): then
            // nothing of the batch can commit.
            if (!this.db.inTransaction) throw error;
            this.rollbackToSavepoint.run();
            this.release.run();
            failures[i] = error ?? new Error('write failed');
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
      for (const write of batch) write.reject(error);
      return;
    }

    this.counters.transactions++;
    this.counters.operations += batch.length;
    for (let i = 0; i < batch.length; i++) {
      if (failures[i] === undefined) batch[i].resolve(results[i]);
      else batch[i].reject(failures[i]);
    }
    this.options.onCommit();
  }
}
