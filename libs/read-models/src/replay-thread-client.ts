import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type ResourceLimits, Worker } from 'node:worker_threads';
import { type ProjectedEvent } from './projection';
import type { ReplayReply, ReplayRequest, ReplayThreadData } from './replay-thread';

/** Where the replay thread finds the projections: a module (absolute path) and the name it exports them under. */
export interface ReplayThreadOptions {
  projectionsModule: string;
  projectionsExport: string;
  /**
   * Group commit (GroupCommitter): the thread commits its transaction once it holds this many
   * events (default 25,000) or is this old (default 2,000 ms; it holds the write lock meanwhile).
   * 1 event: a commit per batch.
   */
  commitEvents?: number;
  commitMs?: number;
}

/**
 * What of each event the thread is sent besides its type, position and prepare() results: the
 * metadata or not (Projection.readsMetadata), and the data fields by type (Projection.reads; null,
 * or a type absent: all).
 */
export interface EventsSent {
  metadata: boolean;
  fields: ReadonlyMap<string, readonly string[]> | null;
}

/** The named fields of an event's data that it has (all of them when none are named). */
function pick(data: object, names: readonly string[] | undefined): object {
  if (!names) return data;
  const all = data as Record<string, unknown>;
  const picked: Record<string, unknown> = {};
  for (const name of names) if (name in all) picked[name] = all[name];
  return picked;
}

const DEFAULT_COMMIT_EVENTS = 25_000;
const DEFAULT_COMMIT_MS = 2_000;

/** What the thread answers a batch or a commit: the position committed by it, if it committed. */
export interface Applied {
  committed: number | null;
  /** The thread's time on the request (applying, and committing when it did). */
  busyMs: number;
  /** The CPU time the thread has used so far (Linux; else null). */
  cpuMs: number | null;
}

const ENTRY = join('libs', 'read-models', 'src', 'replay-thread-entry.js');

/** The repository root (the folder with package.json and the entry), from source or from dist/ alike. */
function repositoryRoot(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, ENTRY))) return dir;
    if (dirname(dir) === dir) throw new Error(`The replay thread's entry (${ENTRY}) was not found above ${__dirname}`);
  }
}

/** Starts a thread of the read models from the entry: `threadModule` (a module of this folder) reads `data` as its workerData. */
export function startReadModelThread(threadModule: string, data: object, resourceLimits?: ResourceLimits): Worker {
  const root = repositoryRoot();
  return new Worker(join(root, ENTRY), { workerData: { ...data, root, fromSource: __filename.endsWith('.ts'), threadModule }, resourceLimits });
}

/**
 * The replay thread's young generation, in MB (V8's default here: 16 MB semi-spaces, i.e. 48 MB).
 * Each batch it is sent is garbage once applied: a small young generation collects it sooner
 * instead of letting the heap swell between collections. bench:search at a million documents: peak
 * RSS 377-378 MB against 392-410 by default, for a rebuild ~2-4 s longer (61.5 s against 57-60);
 * at 100,000, a ratio to bare FTS5 of 0.83-0.85 against 0.88-0.91.
 */
export const REPLAY_THREAD_YOUNG_GENERATION_MB = 4;

/**
 * A thread that applies a replay's batches (ProjectionRunner.drain) on its own connection to the
 * read-model file, so that reading and decoding the next batch (store reads, decryption) overlaps
 * with applying this one (SQLite, FTS5): two cores instead of one. Requests queue in the thread and
 * are answered in order, so the runner may post the next batch before the last is applied (the
 * thread then never waits for a batch to be decoded). Events cross as structured clones of what
 * projections read (ProjectedEvent: the decoded data, what prepare() worked out, the stored position
 * and, when a projection of the thread reads it, the metadata). Batches are committed in groups
 * (GroupCommitter): a batch's reply says whether its group was committed. After a batch fails, the
 * thread refuses every later one (they would skip the failed batch's events).
 */
export class ReplayThreadClient {
  private readonly pending: Array<{ resolve: (applied: Applied) => void; reject: (error: Error) => void }> = [];
  private exitError?: Error;

  private constructor(
    private readonly worker: Worker,
    private readonly sent: EventsSent,
    private readonly commitEvents: number,
  ) {
    worker.on('message', (reply: ReplayReply) => {
      const pending = this.pending.shift();
      if (!pending) return;
      if (reply.type === 'failed') pending.reject(Object.assign(new Error(reply.message), { name: reply.name }));
      else if (reply.type === 'applied') pending.resolve({ committed: reply.committed, busyMs: reply.busyMs, cpuMs: reply.cpuMs });
      else pending.resolve({ committed: null, busyMs: 0, cpuMs: null });
    });
    const fail = (error: Error) => {
      this.exitError ??= error;
      for (const pending of this.pending.splice(0)) pending.reject(error);
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`The replay thread exited (code ${code})`)));
  }

  static async start(
    filename: string,
    names: string[],
    cacheKiB: number,
    options: ReplayThreadOptions,
    sent: EventsSent = { metadata: true, fields: null },
  ): Promise<ReplayThreadClient> {
    const data: ReplayThreadData = {
      filename,
      names,
      cacheKiB,
      commitEvents: options.commitEvents ?? DEFAULT_COMMIT_EVENTS,
      commitMs: options.commitMs ?? DEFAULT_COMMIT_MS,
      projectionsModule: options.projectionsModule,
      projectionsExport: options.projectionsExport,
    };
    const client = new ReplayThreadClient(
      startReadModelThread('replay-thread', data, { maxYoungGenerationSizeMb: REPLAY_THREAD_YOUNG_GENERATION_MB }),
      sent,
      data.commitEvents,
    );
    await client.request(undefined);
    return client;
  }

  /**
   * Applies one batch in the thread; resolves once it is applied there, with the position committed
   * if its group was. `head`: the log's head position as the replay found it, if known (the thread
   * prepares its end when the batch is within two groups of it).
   */
  apply(events: readonly ProjectedEvent[], last: number, head?: number): Promise<Applied> {
    const { metadata, fields } = this.sent;
    const slim = events.map(({ type, data, phiReadable, stored, prepared }) => ({
      type,
      data: fields ? pick(data, fields.get(type)) : data,
      phiReadable,
      stored: metadata ? { position: stored.position, metadata: stored.metadata } : { position: stored.position },
      ...(prepared && { prepared }),
    }));
    // Without what no projection of the thread reads (the types say every event has it all).
    const ending = head !== undefined && Math.abs(head - last) <= 2 * this.commitEvents;
    return this.request({ type: 'batch', events: slim as ProjectedEvent[], last, ending });
  }

  /** Commits the batches applied so far (the open group); resolves with their position, null when none was open. */
  commit(): Promise<Applied> {
    return this.request({ type: 'commit' });
  }

  /** Closes the thread's connection and ends the thread. */
  async close(): Promise<void> {
    if (this.exitError) return;
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.postMessage({ type: 'close' } satisfies ReplayRequest);
    await exited;
  }

  /** Sends a request (none: waits for the thread's 'ready'); its reply comes after those of the requests before it. */
  private request(request: ReplayRequest | undefined): Promise<Applied> {
    if (this.exitError) return Promise.reject(this.exitError);
    return new Promise<Applied>((resolve, reject) => {
      this.pending.push({ resolve, reject });
      if (request) this.worker.postMessage(request);
    });
  }
}
