import { parentPort, workerData } from 'node:worker_threads';
import { type ProjectedEvent, type Projection, RECORD_DESTROYED } from './projection';
import { BatchApplier, openReadModelDb } from './read-model-db';
import { threadCpuMs } from './thread-cpu';

/**
 * The replay thread (see replay-thread-client.ts): applies the decoded batches the runner posts,
 * on its own connection to the read-model file, while the runner reads and decodes the next.
 */
export interface ReplayThreadData {
  filename: string;
  /** A module exporting the projections (one, or an array) under `projectionsExport`. */
  projectionsModule: string;
  projectionsExport: string;
  names: string[];
  cacheKiB: number;
  /** Group commit: a transaction is committed once it holds this many events, or is this old. */
  commitEvents: number;
  commitMs: number;
}

/**
 * `ending`: the batch is within two groups of the log's head (as the runner read it when the replay
 * began): the end of the replay is near (see ending() below).
 */
export type ReplayRequest = { type: 'batch'; events: ProjectedEvent[]; last: number; ending: boolean } | { type: 'commit' } | { type: 'close' };
/**
 * `committed`: the position the committed batches reach, when this request committed them;
 * `busyMs`: the thread's time on it; `cpuMs`: the CPU time the thread has used so far (threadCpuMs).
 */
export type ReplayReply =
  { type: 'ready' } | { type: 'applied'; committed: number | null; busyMs: number; cpuMs: number | null } | { type: 'failed'; message: string; name: string };

function projectionsOf(data: ReplayThreadData): Projection[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const module = require(data.projectionsModule) as Record<string, Projection | readonly Projection[] | undefined>;
  const exported = module[data.projectionsExport];
  if (!exported) throw new Error(`${data.projectionsModule} exports no ${data.projectionsExport}`);
  const available: readonly Projection[] = Array.isArray(exported) ? exported : [exported as Projection];
  return data.names.map((name) => {
    const projection = available.find((p) => p.name === name);
    if (!projection) throw new Error(`${data.projectionsModule} has no projection named ${name}`);
    return projection;
  });
}

/**
 * Applies batches in group transactions: one transaction for several batches, committed with the
 * last one's checkpoint once it holds `commitEvents` events or is `commitMs` old, on request, and
 * at once after a batch that destroys a record (its rows must leave the files without delay).
 * Far fewer commits: FTS5 writes a segment per commit and merges them again, and each commit
 * rewrites the pages that random keys spread over. A batch that fails rolls back its whole group:
 * the checkpoint stays at the last commit, and the next replay applies the group's batches again.
 */
export class GroupCommitter {
  private last: number | null = null;
  private events = 0;
  private openedAt = 0;
  private destroyed = false;

  constructor(
    private readonly applier: BatchApplier,
    private readonly commitEvents: number,
    private readonly commitMs: number,
  ) {}

  /** Applies one batch; answers the committed position when the group was committed with it. */
  apply(events: readonly ProjectedEvent[], last: number): number | null {
    const db = this.applier.db;
    if (!db.inTransaction) {
      db.exec('BEGIN IMMEDIATE');
      this.openedAt = performance.now();
    }
    try {
      this.applier.applyInTransaction(events, last);
    } catch (error) {
      this.rollback();
      throw error;
    }
    this.last = last;
    this.events += events.length;
    this.destroyed ||= events.some((e) => e.type === RECORD_DESTROYED);
    const due = this.events >= this.commitEvents || performance.now() - this.openedAt >= this.commitMs || this.destroyed;
    return due ? this.commit() : null;
  }

  /** Commits the open group, if any; answers its position. */
  commit(): number | null {
    const db = this.applier.db;
    if (!db.inTransaction) return null;
    const last = this.last;
    try {
      db.exec('COMMIT');
    } catch (error) {
      this.rollback();
      throw error;
    }
    // A WAL truncation after a destruction, as BatchApplier.apply does; one that a reader or the
    // checkpoint thread kept busy is tried again after each later group.
    if (this.destroyed) this.applier.afterCommit([{ type: RECORD_DESTROYED } as ProjectedEvent]);
    else this.applier.truncateWalIfDue();
    this.reset();
    return last;
  }

  private rollback(): void {
    if (this.applier.db.inTransaction) this.applier.db.exec('ROLLBACK');
    this.reset();
  }

  private reset(): void {
    this.last = null;
    this.events = 0;
    this.destroyed = false;
  }
}

/**
 * Drops the query-only indexes of the projections this replay starts from the beginning of the log
 * (Projection.queryIndexes), and sets their replay settings (Projection.replaySettings).
 */
function prepareFullReplay(applier: BatchApplier, projections: readonly Projection[]): Projection[] {
  const full = projections.filter((p) => (p.queryIndexes || p.replaySettings) && applier.checkpoint(p.name) === 0);
  if (full.length > 0) {
    applier.db.transaction(() =>
      full.forEach((p) => {
        p.queryIndexes?.drop(applier.db);
        p.replaySettings?.set(applier.db);
      }),
    )();
  }
  return full;
}

/** Builds the query indexes again (sorting with a second thread), between groups; those built already are kept. */
function createQueryIndexes(db: BatchApplier['db'], full: readonly Projection[]): void {
  if (full.length === 0) return;
  db.pragma('threads = 2');
  db.transaction(() => full.forEach((p) => p.queryIndexes?.create(db)))();
}

/** Builds the indexes again once the replay ends (or stops), unless built already, and resets the settings. */
function endFullReplay(db: BatchApplier['db'], full: readonly Projection[]): void {
  if (full.length === 0) return;
  createQueryIndexes(db, full);
  db.transaction(() => full.forEach((p) => p.replaySettings?.reset(db)))();
}

/**
 * The thread's own checkpoints (copying the WAL into the database file, then syncing it) wait
 * until its WAL holds this many pages (256 MiB), not SQLite's 1,000: a thread of its own
 * (WalCheckpointer) checkpoints after each group commit instead (ProjectionRunner.drainInThread),
 * while this one applies the next group. It cannot reset the WAL though (a writer restarts the WAL only when its
 * transaction began after a complete checkpoint, and this thread begins its next group at once):
 * this thread's checkpoint every few groups, which finds all but its last group copied, does.
 */
export const REPLAY_WAL_AUTOCHECKPOINT_PAGES = 65_536;

if (parentPort) {
  const port = parentPort;
  const data = workerData as ReplayThreadData;
  const db = openReadModelDb(data.filename);
  db.pragma(`cache_size = ${-data.cacheKiB}`);
  db.pragma(`wal_autocheckpoint = ${REPLAY_WAL_AUTOCHECKPOINT_PAGES}`);
  const projections = projectionsOf(data);
  const applier = new BatchApplier(db, projections);
  const group = new GroupCommitter(applier, data.commitEvents, data.commitMs);
  const fullReplay = prepareFullReplay(applier, projections);
  /** The first failure: every later request is refused with it (a later batch would skip the failed one's events). */
  let failed: Error | undefined;
  /**
   * Near the end of the replay, what would otherwise follow its last commit is done before, while
   * the runner still decodes batches: the query indexes are built after the first commit (the
   * last groups then insert into them), and this thread no longer checkpoints (the checkpoint
   * thread copies the last groups while this one builds the indexes or closes).
   */
  let ending = false;
  let indexesBuilt = false;
  const nearTheEnd = (batchEnding: boolean, committed: number | null) => {
    if (batchEnding !== ending) {
      ending = batchEnding;
      db.pragma(`wal_autocheckpoint = ${ending ? 0 : REPLAY_WAL_AUTOCHECKPOINT_PAGES}`);
    }
    if (ending && committed !== null && !indexesBuilt) {
      createQueryIndexes(db, fullReplay);
      indexesBuilt = true;
    }
  };
  const fail = (error: unknown) => port.postMessage({ type: 'failed', message: (error as Error).message, name: (error as Error).name } satisfies ReplayReply);
  port.on('message', (request: ReplayRequest) => {
    if (request.type === 'close') {
      // Every batch of the open group was applied whole: keep them.
      try {
        group.commit();
      } finally {
        try {
          endFullReplay(db, fullReplay);
        } finally {
          db.close();
          port.close();
        }
      }
      return;
    }
    if (failed) return fail(failed);
    try {
      const started = performance.now();
      if (request.type === 'batch') nearTheEnd(request.ending, null);
      const committed = request.type === 'batch' ? group.apply(request.events, request.last) : group.commit();
      if (request.type === 'batch') nearTheEnd(request.ending, committed);
      port.postMessage({ type: 'applied', committed, busyMs: performance.now() - started, cpuMs: threadCpuMs() } satisfies ReplayReply);
    } catch (error) {
      failed = error as Error;
      fail(error);
    }
  });
  port.postMessage({ type: 'ready' } satisfies ReplayReply);
}
