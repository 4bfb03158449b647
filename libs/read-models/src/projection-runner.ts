import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { PhiCodec } from '@medrec/application';
import type { EventStore, StoredEvent } from '@medrec/event-store';
import type { Projection, ProjectedEvent } from './projection';

export interface ProjectionRunnerOptions {
  /** The read-model database file (its own file, apart from the event store). */
  filename: string;
  /** Events read per batch (one transaction per batch). */
  batchSize?: number;
  /** How often the log is looked at for new events when nobody is waiting (default 100 ms). */
  pollIntervalMs?: number;
}

export interface ProjectionStatus {
  name: string;
  position: number;
  /** Events of the store not yet applied (head position minus checkpoint). */
  lag: number;
}

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
    this.batchSize = options.batchSize ?? 500;
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
    for (const projection of projections) this.prepare(projection);
  }

  /** Position up to which every projection has applied the log. */
  position(): number {
    const rows = this.db.prepare('SELECT name, position FROM projection_checkpoints').all() as Array<{ name: string; position: number }>;
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
        p.migrate(this.db);
        this.db.prepare('INSERT OR REPLACE INTO projection_checkpoints (name, version, position) VALUES (?, ?, 0)').run(p.name, p.version);
      }
    })();
    await this.drain();
    if (wasRunning) this.start();
  }

  /** Applies everything currently in the log, then returns (no live wait). */
  async drain(): Promise<void> {
    while (await this.step()) {
      /* next batch */
    }
  }

  private prepare(projection: Projection): void {
    const row = this.db.prepare('SELECT version FROM projection_checkpoints WHERE name = ?').get(projection.name) as { version: number } | undefined;
    this.db.transaction(() => {
      if (row && row.version !== projection.version) projection.drop(this.db);
      projection.migrate(this.db);
      if (!row || row.version !== projection.version) {
        this.db.prepare('INSERT OR REPLACE INTO projection_checkpoints (name, version, position) VALUES (?, ?, 0)').run(projection.name, projection.version);
      }
    })();
  }

  private checkpoint(name: string): number {
    const row = this.db.prepare('SELECT position FROM projection_checkpoints WHERE name = ?').get(name) as { position: number } | undefined;
    return row?.position ?? 0;
  }

  /**
   * Polls the log rather than subscribing: under load many events are applied per transaction
   * instead of one wake-up (and one read) per event, and a reader waiting for its own write
   * (waitFor) wakes the loop at once.
   */
  private async run(): Promise<void> {
    while (this.running) {
      try {
        if (await this.step()) continue;
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

  /** Applies one batch; false when every projection is at the head. */
  private async step(): Promise<boolean> {
    const from = this.position();
    const batch = await this.store.readAll({ fromPosition: from, maxCount: this.batchSize });
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
        if (last > at) this.db.prepare('UPDATE projection_checkpoints SET position = ? WHERE name = ?').run(last, projection.name);
      }
    })();
    this.notify(last);
    return true;
  }

  private async decode(batch: StoredEvent[]): Promise<ProjectedEvent[]> {
    const wanted = new Set(this.projections.flatMap((p) => [...p.handles]));
    const out: ProjectedEvent[] = [];
    for (const stored of batch) {
      if (!wanted.has(stored.type)) continue;
      const keyId = keyIdOf(stored.stream);
      if (!keyId) {
        out.push({ stored, type: stored.type, data: stored.data, phiReadable: true });
        continue;
      }
      const { event, phiReadable } = await this.codec.decode(keyId, stored);
      out.push({ stored, type: stored.type, data: event.data as Record<string, unknown>, phiReadable });
    }
    return out;
  }

  private notify(position: number): void {
    for (const waiter of [...this.waiters]) if (position >= waiter.position) waiter.resolve();
  }
}
