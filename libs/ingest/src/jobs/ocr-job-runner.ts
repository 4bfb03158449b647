import { buffer as streamBuffer } from 'node:stream/consumers';
import { CommandContext, EventSourcedRunner, systemActor, WorkLoop } from '@medrec/application';
import { BlobStore, getDecrypted, StoredText, textKeyFor, withRecordKey, writeStoredText } from '@medrec/blob-store';
import { KeyStore } from '@medrec/crypto';
import { DomainError, OcrJobCommand, ocrJobDecider, ocrJobStream, recordDecider, RecordCommand, recordStream } from '@medrec/domain';
import { WrongExpectedRevisionError } from '@medrec/event-store';
import { randomUUID } from 'node:crypto';
import { IngestRefusal } from '../inspect/ingest-refusal';
import type { DocumentRecognizer, RecognizedPage } from './document-recognizer';
import { OcrStageListener, secondsSince } from './ocr-stages';
import type { PendingOcrJob, PendingOcrJobsView } from './ocr-jobs.projection';

export interface OcrJobRunnerOptions {
  /** Stable id of this node (kept in its data dir): a restarted node takes its own claims over at once. */
  nodeId: string;
  /**
   * Documents prepared at once (claimed, read, rasterized); as many more whose pages are all
   * rasterized may wait for their recognition meanwhile, so that the OCR workers find the next
   * document's pages queued when one ends. Default 2.
   */
  concurrency?: number;
  /** How long a claim holds unless renewed; renewed every third of it while the job is worked on. Default 10 min. */
  leaseMs?: number;
  maxAttempts?: number;
  pollIntervalMs?: number;
  /** Wait before a job whose recognition failed here is claimed again; doubles with each failure (default 10 s). */
  retryDelayMs?: number;
  log?: (message: string) => void;
  /** The clock the backoff and the other waits are measured on, in ms (default Date.now; tests pass their own). */
  now?: () => number;
  /**
   * Called with a version's recognized pages before its OcrCompleted is recorded (the review queue
   * opens its items here): a failure leaves the job pending, to be retried, so it must be idempotent.
   */
  beforeComplete?: (job: { recordId: string; version: number }, pages: RecognizedPage[], context: CommandContext) => Promise<unknown>;
  /** Timings of the stages done here: queued (known for jobs whose event was seen by appended()), claim, fetch, store-text, complete, settle. */
  onStage?: OcrStageListener;
}

/** What the runner reads of an event appended to the store (its type and where and when it was recorded; never its data). */
export interface AppendedEvent {
  type: string;
  position: number;
  recordedAt: string;
}

/**
 * Works through pending OCR (from the ocr-jobs projection): claims each job on its own stream,
 * recognizes the version's pages, stores their text encrypted with the record's key, and records
 * OcrCompleted — or OcrFailed once the attempts are used up. Any number of runners (the API in
 * embedded mode, worker processes in production) compete safely for the same jobs.
 */
export class OcrJobRunner {
  private readonly concurrency: number;
  private readonly leaseMs: number;
  private readonly maxAttempts: number;
  private readonly pollIntervalMs: number;
  private readonly retryDelayMs: number;
  private readonly log: (message: string) => void;
  private readonly now: () => number;
  private readonly inProgress = new Map<string, Promise<void>>();
  /** Jobs in progress not yet rasterized to the last page: at most `concurrency` of them. */
  private readonly preparing = new Set<string>();
  /** Jobs not to be claimed before a time: held by another node, or backing off after failing here. */
  private readonly notBefore = new Map<string, number>();
  /** Recognitions of a job that failed here, for the backoff. */
  private readonly failedHere = new Map<string, number>();
  /**
   * Jobs this runner just completed or failed, until the ocr-jobs projection shows it (it applies
   * the log in batches): without this a job read as still pending was claimed and OCR'd again —
   * measured in bench:ingest, every document was recognized twice.
   */
  private readonly finished = new Map<string, number>();
  /** Jobs in progress whose claim this node won. */
  private readonly claimedJobs = new Map<string, PendingOcrJob>();
  /** Jobs given back on shutdown: whatever their recognition does next is not recorded. */
  private readonly released = new Set<string>();
  /** When the events that made jobs were recorded (ms), by log position: the start of the 'queued' stage. */
  private readonly recordedAt = new Map<number, number>();
  private stopping?: Promise<void>;
  /** Takes jobs at each poll, and when poked: an upload's event projected, a job ended, a job's pages all rasterized. */
  private readonly loop: WorkLoop;

  constructor(
    private readonly eventSourced: EventSourcedRunner,
    private readonly blobs: BlobStore,
    private readonly keys: KeyStore,
    private readonly jobs: PendingOcrJobsView,
    private readonly recognizer: DocumentRecognizer,
    private readonly options: OcrJobRunnerOptions,
  ) {
    this.concurrency = options.concurrency ?? 2;
    this.leaseMs = options.leaseMs ?? 10 * 60_000;
    this.maxAttempts = options.maxAttempts ?? 3;
    this.pollIntervalMs = options.pollIntervalMs ?? 250;
    this.retryDelayMs = options.retryDelayMs ?? 10_000;
    this.log = options.log ?? (() => undefined);
    this.now = options.now ?? Date.now;
    this.loop = new WorkLoop('OCR job loop', this.pollIntervalMs, () => (this.takeJobs(), false), this.log);
  }

  /** Starts taking jobs. Once stopped, a runner stays stopped: its recognizer is closed. */
  start(): void {
    if (this.stopping) throw new Error('This OCR job runner was stopped; it cannot be started again');
    this.loop.start();
  }

  /**
   * Told of each event appended to the store (a subscription from the head): an upload's or an
   * amendment's event is when its job's wait starts.
   */
  appended(event: AppendedEvent): void {
    if (event.type !== 'RecordCreated' && event.type !== 'RecordAmended') return;
    this.recordedAt.set(event.position, Date.parse(event.recordedAt));
    // Jobs whose claim never comes here (another node took them) are forgotten oldest first.
    if (this.recordedAt.size > MAX_REMEMBERED_EVENTS) this.recordedAt.delete(this.recordedAt.keys().next().value!);
    if (!this.loop.isRunning) return;
    // Looked for as soon as the jobs read model shows the event (asking wakes it), not at the next poll.
    // What is taken is decided by takeJobs() as on a poll: a job already in progress or ended here is skipped.
    this.jobs.reach(event.position, NOTIFIED_REACH_MS).then(
      () => this.loop.poke(),
      () => undefined,
    );
  }

  /**
   * Stops taking jobs and lets those in progress finish for up to `graceMs` (default: however long
   * they take). Past it, releases their claims (ReleaseOcrJob: another node may take them at once)
   * and closes the recognizer, which finishes the pages in hand and refuses the rest. Idempotent:
   * a second call waits for the first.
   */
  stop(options: { graceMs?: number } = {}): Promise<void> {
    this.stopping ??= this.shutDown(options.graceMs ?? Infinity);
    return this.stopping;
  }

  private async shutDown(graceMs: number): Promise<void> {
    await this.loop.stop();
    const settled = Promise.allSettled(this.inProgress.values());
    if (this.inProgress.size > 0 && Number.isFinite(graceMs)) {
      let timer: NodeJS.Timeout | undefined;
      const finished = await Promise.race([settled.then(() => true), new Promise<false>((r) => (timer = setTimeout(() => r(false), graceMs)))]);
      clearTimeout(timer);
      if (!finished) {
        const unfinished = [...this.inProgress.keys()];
        this.log(`OCR: ${unfinished.length} job(s) unfinished after ${graceMs} ms: releasing them for another worker`);
        await Promise.all(unfinished.map((key) => this.release(key)));
      }
    }
    const closed = this.recognizer.close().then(async () => void (await settled));
    if (this.released.size === 0) return closed;
    // What was released is another node's now: the pages in hand may finish while the process
    // winds down, but not at the cost of the shutdown's deadline.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([closed, new Promise<void>((r) => (timer = setTimeout(r, RELEASED_WAIT_MS)))]);
    clearTimeout(timer);
  }

  /** Gives a claim back (a no-op unless this node holds it), so that another node takes the job at once. */
  private async release(key: string): Promise<void> {
    const job = this.claimedJobs.get(key);
    this.released.add(key);
    if (!job) return;
    const context = this.context();
    try {
      await this.onJobStream(
        job,
        { type: 'ReleaseOcrJob', recordId: job.recordId, version: job.version, nodeId: this.options.nodeId, at: context.at },
        context,
      );
    } catch (error) {
      // The lease still runs out, and this node takes its own claims over at once when it restarts.
      this.log(`OCR job ${key} could not be released: ${(error as Error).name}`);
    }
  }

  private takeJobs(): void {
    const free = Math.min(this.concurrency - this.preparing.size, this.concurrency * 2 - this.inProgress.size);
    if (free <= 0) return;
    const now = this.now();
    for (const [key, until] of this.finished) if (until <= now) this.finished.delete(key);
    for (const [key, until] of this.notBefore) if (until <= now) this.notBefore.delete(key);
    const jobs = this.jobs.pending(this.concurrency * 4 + this.finished.size + this.notBefore.size).filter((job) => {
      const key = jobKey(job);
      return !this.inProgress.has(key) && !this.finished.has(key) && !this.notBefore.has(key);
    });
    for (const job of jobs.slice(0, free)) {
      const key = jobKey(job);
      const work = this.process(job)
        .catch((error) => this.log(`OCR job ${key} stopped: ${(error as Error).name}`))
        .finally(() => {
          this.inProgress.delete(key);
          this.preparing.delete(key);
          this.claimedJobs.delete(key);
          this.loop.poke();
        });
      this.inProgress.set(key, work);
      this.preparing.add(key);
    }
  }

  /** One command on the job's claim stream: a claim, a lease renewal or a release. */
  private onJobStream(job: PendingOcrJob, command: OcrJobCommand, context: CommandContext) {
    return this.eventSourced.run({ stream: ocrJobStream(job.recordId, job.version), keyId: null, decider: ocrJobDecider, command, context });
  }

  private context(): CommandContext {
    return { actor: systemActor(`ocr@${this.options.nodeId}`), correlationId: randomUUID(), at: new Date().toISOString() };
  }

  private async process(job: PendingOcrJob): Promise<void> {
    const key = jobKey(job);
    const context = this.context();
    const recordedAt = this.recordedAt.get(job.position);
    if (recordedAt !== undefined) {
      this.recordedAt.delete(job.position);
      this.options.onStage?.('queued', Math.max(0, Date.now() - recordedAt) / 1000);
    }
    const claiming = performance.now();
    try {
      await this.onJobStream(
        job,
        {
          type: 'ClaimOcrJob',
          recordId: job.recordId,
          version: job.version,
          nodeId: this.options.nodeId,
          at: context.at,
          leaseMs: this.leaseMs,
          maxAttempts: this.maxAttempts,
        },
        context,
      );
    } catch (error) {
      if (error instanceof WrongExpectedRevisionError || (error instanceof DomainError && error.kind === 'conflict')) {
        this.notBefore.set(key, this.now() + Math.min(this.leaseMs, 30_000));
        return;
      }
      if (error instanceof DomainError && error.kind === 'gone') {
        await this.finish(
          key,
          await this.record(
            {
              type: 'FailOcr',
              recordId: job.recordId,
              version: job.version,
              reason: `OCR failed ${this.maxAttempts} times`,
              actor: context.actor,
              at: context.at,
            },
            context,
          ),
        );
        return;
      }
      throw error;
    }

    this.claimedJobs.set(key, job);
    if (!this.loop.isRunning) {
      // Claimed while stopping: not started, given back at once.
      await this.release(key);
      return;
    }

    const stopRenewing = this.renewLeaseWhileWorking(job);
    try {
      await this.work(job, context, claiming);
    } finally {
      stopRenewing();
    }
  }

  /**
   * Renews the claim's lease every third of it while the job is worked on, so that the lease (how
   * long a dead worker's job waits) can be much shorter than the slowest document's OCR.
   */
  private renewLeaseWhileWorking(job: PendingOcrJob): () => void {
    let renewing = false;
    const timer = setInterval(
      () => {
        // Given back on shutdown: the job is another node's to claim now.
        if (renewing || this.released.has(jobKey(job))) return;
        renewing = true;
        const context = this.context();
        this.onJobStream(
          job,
          {
            type: 'RenewOcrJobLease',
            recordId: job.recordId,
            version: job.version,
            nodeId: this.options.nodeId,
            at: context.at,
            leaseMs: this.leaseMs,
          },
          context,
        )
          // Another node claimed the job meanwhile (our lease had run out): its result and ours are recorded once.
          .catch((error) => this.log(`OCR job ${jobKey(job)}: lease not renewed (${(error as Error).name})`))
          .finally(() => (renewing = false));
      },
      Math.max(1_000, Math.floor(this.leaseMs / 3)),
    );
    timer.unref();
    return () => clearInterval(timer);
  }

  private async work(job: PendingOcrJob, context: CommandContext, claiming: number): Promise<void> {
    const key = jobKey(job);
    // The record's own stream is the authority: a job another node (or this one) already finished
    // may still look pending in a lagging projection, and the claim stream does not know.
    const ended = await this.alreadyEnded(job);
    this.options.onStage?.('claim', secondsSince(claiming));
    if (ended) {
      await this.finish(key, null);
      return;
    }

    // The record's key, fetched once for reading the content and storing the text, wiped after.
    const textKey = textKeyFor(job.blobKey);
    let pages: RecognizedPage[];
    try {
      pages = await withRecordKey(this.keys, job.recordId, async (dataKey) => {
        const recognized = await this.recognize(job, dataKey);
        const storing = performance.now();
        await writeStoredText(this.blobs, textKey, { version: job.version, pages: recognized } satisfies StoredText, dataKey);
        this.options.onStage?.('store-text', secondsSince(storing));
        return recognized;
      });
      // Failing here is failing the attempt: retried after the same backoff as a recognition.
      await this.options.beforeComplete?.(job, pages, context);
    } catch (error) {
      if (this.released.has(key)) return; // given back on shutdown: the recognizer was closed under it
      if (error instanceof DomainError && (error.kind === 'gone' || error.kind === 'not-found')) return; // destroyed meanwhile
      if (error instanceof IngestRefusal) {
        // The content itself cannot be recognized (a page of an implausible shape, too many
        // pixels: stored before the limits, or under looser ones). Another attempt would only
        // refuse it again: fail the version now.
        const reason = `The content cannot be recognized (${error.reason})`;
        await this.finish(
          key,
          await this.record(
            { type: 'FailOcr', recordId: job.recordId, version: job.version, reason, actor: context.actor, at: new Date().toISOString() },
            context,
          ),
        );
        this.log(`OCR of ${key} failed for good: ${error.reason}`);
        return;
      }
      // Leave the job pending: the next claim, after a growing delay (a store or the OCR pool may
      // be briefly unavailable), counts as the next attempt.
      const failures = (this.failedHere.get(key) ?? 0) + 1;
      this.failedHere.set(key, failures);
      const delay = this.retryDelayMs * 2 ** (failures - 1);
      this.notBefore.set(key, this.now() + delay);
      this.log(`OCR of ${key} failed (${(error as Error).name}: ${safeMessage(error)}); will retry in ${Math.round(delay / 1000)} s`);
      return;
    }
    if (this.released.has(key)) return; // another node may be at it already; its result will be recorded
    // Blank pages have no text to be confident about.
    const read = pages.filter((p) => !p.quality?.blank);
    const meanConfidence = read.length === 0 ? 0 : round(read.reduce((sum, p) => sum + p.confidence, 0) / read.length);
    const completing = performance.now();
    const position = await this.record(
      {
        type: 'CompleteOcr',
        recordId: job.recordId,
        version: job.version,
        pages: pages.length,
        meanConfidence,
        textKey,
        pageTexts: pages.map((p) => p.text),
        actor: context.actor,
        at: new Date().toISOString(),
      },
      context,
    );
    this.options.onStage?.('complete', secondsSince(completing));
    await this.finish(key, position);
    this.log(`OCR of ${key} done: ${pages.length} page(s), mean confidence ${meanConfidence}`);
  }

  /** True when the version's OCR has ended (done, or failed for good) or the record is gone. */
  private async alreadyEnded(job: PendingOcrJob): Promise<boolean> {
    const { state } = await this.eventSourced.load(recordStream(job.recordId), job.recordId, recordDecider);
    if (state.status === 'absent' || state.status === 'destroyed') return true;
    const version = state.versions.find((v) => v.version === job.version);
    return !version || version.ocr.status !== 'pending';
  }

  private async recognize(job: PendingOcrJob, dataKey: Buffer): Promise<RecognizedPage[]> {
    const fetching = performance.now();
    const content = await streamBuffer(await getDecrypted(this.blobs, job.blobKey, dataKey, { expectedSha256: job.sha256 }));
    this.options.onStage?.('fetch', secondsSince(fetching));
    const key = jobKey(job);
    return this.recognizer.recognize(content, job.contentType, {
      // Its pages are all with the OCR workers: the next job may be claimed and rasterized while they are recognised.
      rasterized: () => {
        if (this.preparing.delete(key)) this.loop.poke();
      },
    });
  }

  /**
   * Keeps a job this runner has just ended from being taken again: until the projection has applied
   * the event (waited for briefly, so the job's slot is not handed on early), and for a while
   * longer whatever happens.
   */
  private async finish(key: string, position: number | null): Promise<void> {
    this.finished.set(key, this.now() + FINISHED_MEMORY_MS);
    this.failedHere.delete(key);
    if (position === null) return;
    const settling = performance.now();
    await this.jobs.reach(position, 2_000);
    this.options.onStage?.('settle', secondsSince(settling));
  }

  /**
   * OCR results are idempotent in the decider; a concurrent write to the record just means deciding
   * again. Returns the log position of the event appended, if any.
   */
  private async record(command: RecordCommand, context: CommandContext): Promise<number | null> {
    for (let attempt = 1; ; attempt++) {
      try {
        const { position } = await this.eventSourced.run({
          stream: recordStream(command.recordId),
          keyId: command.recordId,
          decider: recordDecider,
          command,
          context,
        });
        return position ?? null;
      } catch (error) {
        if (error instanceof DomainError && (error.kind === 'gone' || error.kind === 'not-found')) return null;
        if (!(error instanceof WrongExpectedRevisionError) || attempt >= 5) throw error;
      }
    }
  }
}

/** Longest a stopping runner waits for the recognition of jobs it has released. */
const RELEASED_WAIT_MS = 1_000;

/** Longest a notified job waits for the jobs read model before it is left to the next poll. */
const NOTIFIED_REACH_MS = 2_000;

/** Upload events remembered for the 'queued' timing. */
const MAX_REMEMBERED_EVENTS = 10_000;

/** How long a job ended here is skipped even if the projection still shows it pending. */
const FINISHED_MEMORY_MS = 60_000;

const jobKey = (job: { recordId: string; version: number }): string => `${job.recordId}/v${job.version}`;
const round = (n: number): number => Math.round(n * 100) / 100;

/** Error messages of our own libraries carry no PHI; anything else is reduced to its type. */
function safeMessage(error: unknown): string {
  const e = error as { message?: unknown; reason?: unknown };
  return typeof e?.reason === 'string' ? e.reason : error instanceof DomainError ? error.message : 'see the error type';
}
