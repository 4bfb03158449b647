import type Database from 'better-sqlite3';
import type { PhiCodec } from '@medrec/application';
import type { EventStore, StoredEvent } from '@medrec/event-store';
import { fieldsRead, type ProjectedEvent, type Projection, prepareEvents, typesRead } from './projection';
import { BatchApplier, openReadModelDb } from './read-model-db';
import { type Applied, ReplayThreadClient, ReplayThreadOptions } from './replay-thread-client';
import { threadCpuMs } from './thread-cpu';
import { WalCheckpointer } from './wal-checkpointer';

export interface ProjectionRunnerOptions {
  /** The read-model database file (its own file, apart from the event store). */
  filename: string;
  /** Events read per batch (one transaction per batch). */
  batchSize?: number;
  /**
   * Events per batch in drain() and rebuild(), which replay a long stretch of the log: bigger
   * transactions are much cheaper per event (fewer commits; FTS5 flushes and merges its index per
   * transaction), at the cost of holding the write lock longer. Default: 2,500 (or batchSize if larger).
   */
  rebuildBatchSize?: number;
  /** How often the log is looked at for new events when nobody is waiting (default 100 ms). */
  pollIntervalMs?: number;
  /**
   * Replays (drain, rebuild) apply their batches in a thread of their own, which finds the
   * projections in this module, while this thread reads and decodes the next batch. Without it,
   * replays run here, one step after the other.
   */
  replayThread?: ReplayThreadOptions;
  /**
   * With a replay thread: when start() finds the read models this many events or more behind the
   * log (a projection replaying from 0 after an upgrade, a long downtime), it first catches up in
   * the replay thread, then runs live. Default 25,000.
   */
  threadCatchUpMinLag?: number;
  /** Where the live loop reports failures (error types and positions only: never event data). */
  log?: (message: string) => void;
}

export interface ProjectionStatus {
  name: string;
  position: number;
  /** Events of the store not yet applied (head position minus checkpoint). */
  lag: number;
}

/** Where the last replay in the replay thread spent this thread's time (ms), and the thread's own. */
export interface ReplayStats {
  events: number;
  batches: number;
  /** Reading the log. */
  readMs: number;
  /** Decoding and decrypting PHI. */
  decodeMs: number;
  /** Waiting for the thread to finish the previous batch (this thread idle). */
  waitMs: number;
  /** The thread applying and committing (overlaps with this thread's reading and decoding). */
  threadBusyMs: number;
  /** CPU time of this thread during the replay, and of the replay thread (Linux; else null). */
  cpuMs: number | null;
  threadCpuMs: number | null;
}

/** The live loop's longest wait between attempts after failures. */
const MAX_RETRY_DELAY_MS = 30_000;

/** Events per transaction of a replay unless configured: large transactions cost far less per event. */
const DEFAULT_REBUILD_BATCH_SIZE = 2500;

/** The page cache of a replay (drain, rebuild), in KiB. */
const REPLAY_CACHE_KIB = 16 * 1024;

/**
 * Batches a replay keeps posted to its thread: it starts the next as soon as it ends one, and this
 * thread goes on decoding while it commits a group (2: this thread waited ~0.4 s of a 100k-document
 * rebuild for those commits; 3: ~0.2 s, for one more batch in memory).
 */
const BATCHES_IN_THREAD = 3;

/**
 * Record streams (and their access streams) carry PHI sealed with the record's key: the record id
 * is the key id. A matter hold's stream (`legal-hold-<id>`) is sealed with a key of its own, named
 * as the stream (so are disposal batches and release requests, and a day's query audit,
 * `query-audit-<YYYY-MM-DD>`).
 */
function keyIdOf(stream: string): string | null {
  const match = /^record-(?:access-)?([0-9a-f-]{36})$/.exec(stream);
  if (match) return match[1];
  return /^(?:(?:legal-hold|disposal|release-request)-[0-9a-f-]{36}|query-audit-\d{4}-\d{2}-\d{2})$/.test(stream) ? stream : null;
}

/**
 * Runs projections from their checkpoints: reads the log in batches and applies each batch with
 * the new checkpoint in one SQLite transaction. Rebuildable: drop() and replay from 0.
 */
export class ProjectionRunner {
  readonly db: Database.Database;
  private readonly batchSize: number;
  private readonly rebuildBatchSize: number;
  /** Event types some projection handles: only those are decoded. */
  private readonly wanted: ReadonlySet<string>;
  private readonly applier: BatchApplier;
  private readonly pollIntervalMs: number;
  private readonly replayThread?: ReplayThreadOptions;
  private readonly threadCatchUpMinLag: number;
  private readonly filename: string;
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  private readonly waiters = new Set<{ position: number; resolve: () => void }>();
  /** The last error of the live loop, until a batch succeeds again (lastError()). */
  private failure?: Error;
  private readonly log: (message: string) => void;
  /** The last replay in the replay thread: where its time went (bench:search prints it). */
  replayStats?: ReplayStats;

  constructor(
    private readonly store: EventStore,
    private readonly codec: PhiCodec,
    private readonly projections: Projection[],
    options: ProjectionRunnerOptions,
  ) {
    if (projections.length === 0) throw new RangeError('ProjectionRunner needs at least one projection');
    this.batchSize = options.batchSize ?? 500;
    this.rebuildBatchSize = options.rebuildBatchSize ?? Math.max(this.batchSize, DEFAULT_REBUILD_BATCH_SIZE);
    for (const size of [this.batchSize, this.rebuildBatchSize]) {
      if (!Number.isSafeInteger(size) || size < 1) throw new RangeError('Batch sizes must be positive integers');
    }
    this.wanted = new Set(projections.flatMap(typesRead));
    this.pollIntervalMs = options.pollIntervalMs ?? 100;
    this.log = options.log ?? (() => undefined);
    this.replayThread = options.replayThread;
    this.threadCatchUpMinLag = options.threadCatchUpMinLag ?? 25_000;
    if (this.replayThread && options.filename === ':memory:') throw new RangeError('A replay thread needs a read-model file');
    this.filename = options.filename;
    this.db = openReadModelDb(options.filename);
    this.applier = new BatchApplier(this.db, projections);
    for (const projection of projections) this.applier.prepare(projection);
  }

  /** Position up to which every projection has applied the log. */
  position(): number {
    return this.applier.position();
  }

  async status(): Promise<ProjectionStatus[]> {
    const head = await this.store.headPosition();
    return this.projections.map((p) => {
      const position = this.applier.checkpoint(p.name);
      return { name: p.name, position, lag: Math.max(0, head - position) };
    });
  }

  /** The live loop's last error while it keeps failing (its type only: messages may quote data), else null. */
  lastError(): string | null {
    return this.failure ? this.failure.name : null;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** Resolves once every projection has applied the log up to `position`; false after the timeout. */
  async waitFor(position: number, timeoutMs = 5000): Promise<boolean> {
    if (this.position() >= position) return true;
    return new Promise<boolean>((resolve) => {
      const waiter = {
        position,
        resolve: () => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve(true);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        resolve(false);
      }, timeoutMs);
      this.waiters.add(waiter);
      this.wake?.();
    });
  }

  /** Waits until the read models reflect everything in the store now. */
  async catchUp(timeoutMs = 5000): Promise<boolean> {
    return this.waitFor(await this.store.headPosition(), timeoutMs);
  }

  /** Drops one projection (or all) and replays it from the start of the log; resolves when caught up. */
  async rebuild(name?: string): Promise<void> {
    const targets = this.projections.filter((p) => name === undefined || p.name === name);
    if (targets.length === 0) throw new Error(`No projection named ${name}`);
    const wasRunning = this.running;
    await this.stop();
    this.applier.reset(targets);
    await this.drain();
    if (wasRunning) this.start();
  }

  /**
   * Applies everything currently in the log, then returns (no live wait): a replay, in batches of
   * rebuildBatchSize, in the replay thread when there is one. A long replay gets a larger page
   * cache while it runs (its indexes are written all over), given back after.
   */
  async drain(): Promise<void> {
    if (this.replayThread) return this.drainInThread(this.replayThread, () => true);
    const cacheSize = this.db.pragma('cache_size', { simple: true }) as number;
    this.db.pragma(`cache_size = ${-REPLAY_CACHE_KIB}`);
    try {
      while ((await this.step(this.rebuildBatchSize)) > 0) {
        /* next batch */
      }
    } finally {
      this.db.pragma(`cache_size = ${cacheSize}`);
      this.db.pragma('shrink_memory');
    }
  }

  /**
   * drain() with the replay thread applying each batch while this one reads and decodes the next;
   * stops early, between batches, when `going()` turns false. The thread commits batches in groups:
   * waiters are told a position once it is committed.
   */
  private async drainInThread(options: ReplayThreadOptions, going: () => boolean): Promise<void> {
    const stats: ReplayStats = { events: 0, batches: 0, readMs: 0, decodeMs: 0, waitMs: 0, threadBusyMs: 0, cpuMs: null, threadCpuMs: null };
    const cpuAtStart = threadCpuMs();
    this.replayStats = stats;
    const thread = await ReplayThreadClient.start(
      this.filename,
      this.projections.map((p) => p.name),
      REPLAY_CACHE_KIB,
      options,
      { metadata: this.projections.some((p) => p.readsMetadata), fields: fieldsRead(this.projections) },
    );
    const checkpointer = WalCheckpointer.start(this.filename);
    const committed = (applied: Applied) => {
      stats.threadBusyMs += applied.busyMs;
      stats.threadCpuMs = applied.cpuMs;
      if (applied.committed === null) return;
      // The group's pages copied into the database file by the checkpoint thread, while the replay
      // thread applies the next group (it checkpoints itself only every few groups: REPLAY_WAL_AUTOCHECKPOINT_PAGES).
      checkpointer.checkpoint();
      this.notify(applied.committed);
    };
    const applying: Array<Promise<void>> = [];
    let closed: Promise<void> | undefined;
    try {
      let from = this.position();
      const head = await this.store.headPosition();
      while (going()) {
        let t = performance.now();
        const batch = await this.store.readAll({ fromPosition: from, maxCount: this.rebuildBatchSize });
        stats.readMs += performance.now() - t;
        if (batch.length === 0) break;
        t = performance.now();
        const decoded = await this.decode(batch);
        stats.decodeMs += performance.now() - t;
        const last = batch[batch.length - 1].position;
        // The thread truncates its WAL after a destruction too; this connection checks once it has closed.
        if (decoded.some((e) => e.type === 'RecordDestroyed')) this.applier.truncateWalLater();
        t = performance.now();
        if (applying.length >= BATCHES_IN_THREAD) await applying.shift();
        stats.waitMs += performance.now() - t;
        const applied = thread.apply(decoded, last, head).then(committed);
        applied.catch(() => undefined); // awaited before a later batch; until then, not unhandled
        applying.push(applied);
        stats.events += batch.length;
        stats.batches++;
        from = last;
      }
      for (const applied of applying.splice(0)) await applied;
      const lastCommit = thread.commit();
      // Closing, the thread builds the query indexes of a full replay, while the last group is checkpointed.
      closed = thread.close();
      committed(await lastCommit);
      await Promise.all([closed, checkpointer.close()]);
      const cpu = threadCpuMs();
      stats.cpuMs = cpu === null || cpuAtStart === null ? null : cpu - cpuAtStart;
    } finally {
      await Promise.allSettled(applying);
      await Promise.all([closed ?? thread.close(), checkpointer.close()]);
    }
    this.applier.truncateWalIfDue();
    this.notify(this.position());
  }

  /**
   * Polls the log rather than subscribing: under load many events are applied per transaction
   * instead of one wake-up (and one read) per event, and a reader waiting for its own write
   * (waitFor) wakes the loop at once.
   */
  private async run(): Promise<void> {
    let behind = false;
    let failures = 0;
    let catchUpInThread = this.replayThread !== undefined;
    while (this.running) {
      let delay = this.pollIntervalMs;
      try {
        if (catchUpInThread && (await this.store.headPosition()) - this.position() >= this.threadCatchUpMinLag) {
          await this.drainInThread(this.replayThread!, () => this.running);
          if (!this.running) break;
        }
        catchUpInThread = false;
        // A full batch means the log is further ahead (a start after downtime, a projection
        // replaying from 0 after an upgrade): catch up in replay-sized transactions.
        const size: number = behind ? this.rebuildBatchSize : this.batchSize;
        const applied = await this.step(size);
        behind = applied === size;
        failures = 0;
        this.failure = undefined;
        if (applied > 0) continue;
      } catch (error) {
        // A store that is briefly unreachable, or a projection that cannot apply an event: the
        // server stays up, readers waiting for the views time out (503), the lag shows in
        // /health/ready, and the batch is tried again later (its transaction left nothing).
        failures++;
        this.failure = error as Error;
        this.log(`Projections stopped at position ${this.position()} (${(error as Error).name}); retrying (${failures})`);
        delay = Math.min(MAX_RETRY_DELAY_MS, this.pollIntervalMs * 2 ** Math.min(failures, 10));
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  /** Applies one batch; answers how many events it read (0: every projection is at the head). */
  private async step(batchSize: number): Promise<number> {
    this.applier.truncateWalIfDue();
    const from = this.position();
    const batch = await this.store.readAll({ fromPosition: from, maxCount: batchSize });
    if (batch.length === 0) {
      this.notify(from);
      return 0;
    }
    const decoded = await this.decode(batch);
    const last = batch[batch.length - 1].position;
    this.applier.apply(decoded, last);
    this.notify(last);
    return batch.length;
  }

  /**
   * Decodes the events some projection handles, in log order. The PHI of a whole batch is
   * decrypted in one decodeBatch call: each record's key is fetched once per batch and wiped when
   * the call returns, so no key is kept beyond the batch (a key destroyed later is not used).
   */
  private async decode(batch: StoredEvent[]): Promise<ProjectedEvent[]> {
    const out: ProjectedEvent[] = [];
    const sealed: Array<{ keyId: string; stored: StoredEvent }> = [];
    const sealedAt: number[] = [];
    for (const stored of batch) {
      if (!this.wanted.has(stored.type)) continue;
      const keyId = keyIdOf(stored.stream);
      if (keyId) {
        sealedAt.push(out.length);
        sealed.push({ keyId, stored });
      }
      out.push({ stored, type: stored.type, data: stored.data, phiReadable: true });
    }
    const decoded = await this.codec.decodeBatch(sealed);
    for (let i = 0; i < decoded.length; i++) {
      const { event, phiReadable } = decoded[i];
      const slot = out[sealedAt[i]];
      slot.data = event.data;
      slot.phiReadable = phiReadable;
    }
    prepareEvents(this.projections, out);
    return out;
  }

  private notify(position: number): void {
    for (const waiter of [...this.waiters]) if (position >= waiter.position) waiter.resolve();
  }
}
