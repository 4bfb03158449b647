import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { PhiCodec } from '@medrec/application';
import type { EventStore, StoredEvent } from '@medrec/event-store';
import type { Projection, ProjectedEvent } from './projection';
import { clearStatementCache } from './statement-cache';

export interface ProjectionRunnerOptions {
  /** The read-model database file (its own file, apart from the event store). */
  filename: string;
  /** Events read per batch (one transaction per batch). */
  batchSize?: number;
  /**
   * Events per batch in drain() and rebuild(), which replay a long stretch of the log: bigger
   * transactions are much cheaper per event (fewer commits; FTS5 flushes and merges its index per
   * transaction), at the cost of holding the write lock longer. Default: 5,000 (or batchSize if larger).
   */
  rebuildBatchSize?: number;
  /** How often the log is looked at for new events when nobody is waiting (default 100 ms). */
  pollIntervalMs?: number;
}

export interface ProjectionStatus {
  name: string;
  position: number;
  /** Events of the store not yet applied (head position minus checkpoint). */
  lag: number;
}

/** Events per transaction of a replay unless configured: large transactions cost far less per event. */
const DEFAULT_REBUILD_BATCH_SIZE = 5000;

/** The page cache of a replay (drain, rebuild), in KiB. */
const REPLAY_CACHE_KIB = 64 * 1024;

/** Record streams (and their access streams) carry PHI sealed with the record's key: the record id is the key id. */
function keyIdOf(stream: string): string | null {
  const match = /^record-(?:access-)?([0-9a-f-]{36})$/.exec(stream);
  return match ? match[1] : null;
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
  private readonly checkpoints: {
    all: Database.Statement<[], { name: string; position: number }>;
    one: Database.Statement<[string], number>;
    advance: Database.Statement<[number, string]>;
    reset: Database.Statement<[string, number]>;
    version: Database.Statement<[string], { version: number }>;
  };
  private readonly pollIntervalMs: number;
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  private readonly waiters = new Set<{ position: number; resolve: () => void }>();
  private failure?: Error;

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
    this.wanted = new Set(projections.flatMap((p) => [...p.handles]));
    this.pollIntervalMs = options.pollIntervalMs ?? 100;
    if (options.filename !== ':memory:') mkdirSync(dirname(options.filename), { recursive: true });
    this.db = new Database(options.filename);
    // The log is the source of truth: a read model may lose its last transactions on power loss
    // and replays them, so NORMAL durability is enough and keeps rebuilds fast.
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    // Rows of a destroyed record hold decrypted PHI: deleted pages are overwritten, not left in free space.
    this.db.pragma('secure_delete = ON');
    this.db.exec(`CREATE TABLE IF NOT EXISTS projection_checkpoints (
      name TEXT PRIMARY KEY, version INTEGER NOT NULL, position INTEGER NOT NULL)`);
    this.checkpoints = {
      all: this.db.prepare('SELECT name, position FROM projection_checkpoints'),
      one: this.db.prepare<[string], number>('SELECT position FROM projection_checkpoints WHERE name = ?').pluck(),
      advance: this.db.prepare('UPDATE projection_checkpoints SET position = ? WHERE name = ?'),
      reset: this.db.prepare('INSERT OR REPLACE INTO projection_checkpoints (name, version, position) VALUES (?, ?, 0)'),
      version: this.db.prepare('SELECT version FROM projection_checkpoints WHERE name = ?'),
    };
    for (const projection of projections) this.prepare(projection);
  }

  /** Position up to which every projection has applied the log. */
  position(): number {
    const rows = this.checkpoints.all.all();
    const byName = new Map(rows.map((r) => [r.name, r.position]));
    return Math.min(...this.projections.map((p) => byName.get(p.name) ?? 0));
  }

  async status(): Promise<ProjectionStatus[]> {
    const head = await this.store.headPosition();
    return this.projections.map((p) => {
      const position = this.checkpoint(p.name);
      return { name: p.name, position, lag: Math.max(0, head - position) };
    });
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
    if (this.failure) throw this.failure;
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
    this.db.transaction(() => {
      for (const p of targets) {
        p.drop(this.db);
        clearStatementCache(this.db);
        p.migrate(this.db);
        this.checkpoints.reset.run(p.name, p.version);
      }
    })();
    await this.drain();
    if (wasRunning) this.start();
  }

  /**
   * Applies everything currently in the log, then returns (no live wait). A long replay gets a
   * larger page cache while it runs (its indexes are written all over), given back after.
   */
  async drain(): Promise<void> {
    const cacheSize = this.db.pragma('cache_size', { simple: true }) as number;
    this.db.pragma(`cache_size = ${-REPLAY_CACHE_KIB}`);
    try {
      while (await this.step(this.rebuildBatchSize)) {
        /* next batch */
      }
    } finally {
      this.db.pragma(`cache_size = ${cacheSize}`);
      this.db.pragma('shrink_memory');
    }
  }

  private prepare(projection: Projection): void {
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

  private checkpoint(name: string): number {
    return this.checkpoints.one.get(name) ?? 0;
  }

  /**
   * Polls the log rather than subscribing: under load many events are applied per transaction
   * instead of one wake-up (and one read) per event, and a reader waiting for its own write
   * (waitFor) wakes the loop at once.
   */
  private async run(): Promise<void> {
    while (this.running) {
      try {
        if (await this.step(this.batchSize)) continue;
      } catch (error) {
        this.failure = error as Error;
        throw error;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.pollIntervalMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  /**
   * Applies one batch; false when every projection is at the head. Each projection's checkpoint is
   * read again inside the transaction (another runner on the same file may have applied part of
   * the batch meanwhile), once per projection and batch, and stored with the batch's rows.
   */
  private async step(batchSize: number): Promise<boolean> {
    const from = this.position();
    const batch = await this.store.readAll({ fromPosition: from, maxCount: batchSize });
    if (batch.length === 0) {
      this.notify(from);
      return false;
    }
    const decoded = await this.decode(batch);
    const last = batch[batch.length - 1].position;
    this.db.transaction(() => {
      for (const projection of this.projections) {
        const at = this.checkpoint(projection.name);
        for (const event of decoded) {
          if (event.stored.position > at && projection.handles.has(event.type)) projection.apply(this.db, event);
        }
        if (last > at) this.checkpoints.advance.run(last, projection.name);
      }
    })();
    this.notify(last);
    return true;
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
      slot.data = event.data as Record<string, unknown>;
      slot.phiReadable = phiReadable;
    }
    return out;
  }

  private notify(position: number): void {
    for (const waiter of [...this.waiters]) if (position >= waiter.position) waiter.resolve();
  }
}
