import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { GroupCommitStats, WriteQueue } from './group-commit';
import type { WriteOperation } from './write-operations';
import { deserializeError, type WriteThreadData, type WriteThreadReply, type WriteThreadRequest } from './write-thread-protocol';

const ENTRY = join('libs', 'event-store', 'src', 'sqlite', 'write-thread-entry.js');

/** The repository root (the folder with package.json and the entry), from source or from dist/ alike. */
function repositoryRoot(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, ENTRY))) return dir;
    if (dirname(dir) === dir) throw new Error(`The write thread's entry (${ENTRY}) was not found above ${__dirname}`);
  }
}

export interface WriteThreadOptions extends WriteThreadData {
  maxBatchSize: number;
  /** Called after a batch's commit, before its callers' promises are settled, with the batch's writes that succeeded. */
  onCommit: (writes: WriteOperation[]) => void;
}

interface QueuedWrite {
  write: WriteOperation;
  resolve(value: unknown): void;
  reject: (error: unknown) => void;
}

/**
 * Group commit in a thread of its own: the writes queued while a batch is being written (or
 * within one turn of the event loop) go to the write thread as the next batch, which it runs in
 * ONE transaction on its own connection (BatchTransaction: one fsync; each write in a savepoint).
 * This thread goes on serving while the thread waits for the disk. The guarantees are those of
 * GroupCommitQueue: writes run in the order queued, one batch at a time, and a caller's promise
 * settles only after the batch's COMMIT returned (the data is durable). The thread starts with
 * the first write; if it dies, the batch it held and the writes queued fail, and the next write
 * starts another. It keeps the process alive only while it has writes to do.
 */
export class WriteThreadQueue implements WriteQueue<WriteOperation> {
  private pending: QueuedWrite[] = [];
  private inFlight?: QueuedWrite[];
  private scheduled = false;
  private worker?: Worker;
  private ready = false;
  private closed = false;
  private drained?: () => void;
  private readonly counters: GroupCommitStats = { transactions: 0, operations: 0 };
  /** The write connection's durability settings, as the thread reported them when it started. */
  private pragmas?: { journalMode: string; synchronous: number };

  constructor(private readonly options: WriteThreadOptions) {}

  enqueue(write: WriteOperation): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error('The event store is closed'));
    return new Promise((resolve, reject) => {
      this.pending.push({ write, resolve, reject });
      this.schedule();
    });
  }

  stats(): GroupCommitStats {
    return { ...this.counters };
  }

  /** journal_mode and synchronous of the thread's connection (undefined until the thread has started). */
  writeConnectionPragmas(): { journalMode: string; synchronous: number } | undefined {
    return this.pragmas && { ...this.pragmas };
  }

  /** Commits everything queued, then ends the thread. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.pending.length > 0 || this.inFlight) {
      await new Promise<void>((resolve) => {
        this.drained = resolve;
        this.schedule();
      });
    }
    const worker = this.worker;
    this.worker = undefined;
    if (!worker) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    // Idle, it was unref'd: the process must not end while close() waits for it.
    worker.ref();
    worker.postMessage({ type: 'close' } satisfies WriteThreadRequest);
    await exited;
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight) return;
    this.scheduled = true;
    // setImmediate: writes arriving in the same poll phase (several HTTP requests) join the batch.
    setImmediate(() => {
      this.scheduled = false;
      this.send();
    });
  }

  private send(): void {
    if (this.inFlight) return;
    if (this.pending.length === 0) {
      // Idle, the thread does not keep the process alive (a store never closed does not hang it).
      this.worker?.unref();
      this.drained?.();
      return;
    }
    if (!this.worker) this.start();
    this.worker!.ref();
    if (!this.ready) return; // sent on 'ready'
    const batch = this.pending.length > this.options.maxBatchSize ? this.pending.splice(0, this.options.maxBatchSize) : this.pending.splice(0);
    this.inFlight = batch;
    this.worker!.postMessage({ type: 'batch', operations: batch.map((queued) => queued.write) } satisfies WriteThreadRequest);
  }

  private start(): void {
    const root = repositoryRoot();
    const data: WriteThreadData & { root: string; fromSource: boolean } = {
      filename: this.options.filename,
      busyTimeoutMs: this.options.busyTimeoutMs,
      root,
      fromSource: __filename.endsWith('.ts'),
    };
    const worker = new Worker(join(root, ENTRY), { workerData: data });
    this.worker = worker;
    this.ready = false;
    worker.on('message', (reply: WriteThreadReply) => this.receive(reply));
    const fail = (error: Error) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      const lost = [...(this.inFlight ?? []), ...this.pending.splice(0)];
      this.inFlight = undefined;
      for (const queued of lost) queued.reject(error);
      this.drained?.();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`The event store's write thread exited (code ${code})`)));
  }

  private receive(reply: WriteThreadReply): void {
    if (reply.type === 'ready') {
      this.ready = true;
      this.pragmas = { journalMode: reply.journalMode, synchronous: reply.synchronous };
      this.send();
      return;
    }
    const batch = this.inFlight ?? [];
    this.inFlight = undefined;
    if (reply.type === 'failed') {
      const error = deserializeError(reply.error);
      for (const queued of batch) queued.reject(error);
    } else {
      if (reply.committed) {
        this.counters.transactions++;
        this.counters.operations += batch.length;
        this.options.onCommit(batch.filter((_, i) => reply.writes[i].ok).map((queued) => queued.write));
      }
      for (let i = 0; i < batch.length; i++) {
        const settled = reply.writes[i];
        if (settled.ok) batch[i].resolve(settled.value);
        else batch[i].reject(deserializeError(settled.error));
      }
    }
    // What queued up meanwhile is the next batch, at once: it has waited a whole commit already.
    this.send();
  }
}
