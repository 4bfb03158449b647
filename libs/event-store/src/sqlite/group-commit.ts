import type Database from 'better-sqlite3';
import { BatchTransaction } from './batch-transaction';

export interface GroupCommitStats {
  /** Write transactions committed. */
  transactions: number;
  /** Write operations run inside them (each in its own savepoint), including the ones that failed. */
  operations: number;
}

/** Where a group commit's batches are written: here (GroupCommitQueue) or in the write thread. */
export interface WriteQueue<Write> {
  /** Queues a write; settles after the commit of the batch it joined, i.e. once it is durable. */
  enqueue(write: Write): Promise<unknown>;
  stats(): GroupCommitStats;
  /** Commits everything queued, then accepts nothing more. */
  close(): Promise<void>;
}

export interface GroupCommitOptions<Write> {
  /** Most operations per transaction; the rest go into the next one. */
  maxBatchSize: number;
  /** Runs one write inside the batch's transaction (synchronously); its return value settles the caller. */
  run: (write: Write) => unknown;
  /** Called after a batch's commit, before its callers' promises are settled, with the batch's writes. */
  onCommit: (writes: Write[]) => void;
}

interface QueuedWrite<Write> {
  write: Write;
  resolve(value: unknown): void;
  reject: (error: unknown) => void;
}

/**
 * Group commit on this thread's connection: writes queued while a flush is pending (within one
 * turn of the event loop) run in ONE transaction (BatchTransaction), so they share one fsync.
 * Writes run in the order they were queued, so a caller may issue an append that expects the
 * revision of one it has not awaited yet. Every caller's promise settles only after the COMMIT
 * returned, i.e. after the data is durable. The commit blocks this thread for the fsync: the
 * store uses it where no second connection can share the database (':memory:'), the write
 * thread (WriteThreadQueue) everywhere else.
 *
 * The flush is scheduled with setImmediate rather than a microtask so that writes arriving in
 * the same poll phase (e.g. several HTTP requests) join the batch; it costs one loop turn.
 */
export class GroupCommitQueue<Write> implements WriteQueue<Write> {
  private pending: Array<QueuedWrite<Write>> = [];
  private scheduled = false;
  private readonly counters: GroupCommitStats = { transactions: 0, operations: 0 };
  private readonly transaction: BatchTransaction;
  private readonly flushCallback = () => {
    this.scheduled = false;
    this.flush();
  };

  constructor(
    db: Database.Database,
    private readonly options: GroupCommitOptions<Write>,
  ) {
    this.transaction = new BatchTransaction(db);
  }

  enqueue(write: Write): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.pending.push({ write, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(this.flushCallback);
      }
    });
  }

  stats(): GroupCommitStats {
    return { ...this.counters };
  }

  /** Runs everything queued now, synchronously. */
  close(): Promise<void> {
    while (this.pending.length > 0) this.flush();
    return Promise.resolve();
  }

  private flush(): void {
    const batch = this.pending.length > this.options.maxBatchSize ? this.pending.splice(0, this.options.maxBatchSize) : this.pending.splice(0);
    if (this.pending.length > 0 && !this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushCallback);
    }
    if (batch.length === 0) return;

    let outcome;
    try {
      outcome = this.transaction.run(batch.map((queued) => () => this.options.run(queued.write)));
    } catch (error) {
      for (const queued of batch) queued.reject(error);
      return;
    }
    if (outcome.committed) {
      this.counters.transactions++;
      this.counters.operations += batch.length;
      this.options.onCommit(batch.filter((_, i) => outcome.writes[i].ok).map((queued) => queued.write));
    }
    for (let i = 0; i < batch.length; i++) {
      const settled = outcome.writes[i];
      if (settled.ok) batch[i].resolve(settled.value);
      else batch[i].reject(settled.error);
    }
  }
}
