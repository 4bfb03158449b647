import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventSourcedRunner, PhiCodec } from '@medrec/application';
import { FilesystemBlobStore, putEncrypted } from '@medrec/blob-store';
import { SqliteKeyStore } from '@medrec/crypto';
import { ocrJobStream, RECORD_PHI_FIELDS, recordDecider, recordStream } from '@medrec/domain';
import { content, createRecord, RECORD_ID } from '@medrec/domain/testing';
import { SqliteEventStore, type StoredEvent } from '@medrec/event-store';
import { ProjectionRunner } from '@medrec/read-models';
import { IngestRefusal } from '../inspect/ingest-refusal';
import type { DocumentRecognizer, RecognitionProgress, RecognizedPage } from './document-recognizer';
import { OcrJobRunner } from './ocr-job-runner';
import { ocrJobsProjection, pendingOcrJobsView } from './ocr-jobs.projection';

/** A clock that moves only when a test moves it. */
function manualClock(start = Date.parse('2024-03-01T09:00:00.000Z')) {
  let current = start;
  return { now: () => current, advance: (ms: number) => void (current += ms) };
}

/** Fault injection: fails the first `failures` documents, then answers one page of text. Records the clock at each call. */
function flakyRecognizer(failures: number, now: () => number = Date.now): DocumentRecognizer & { calls: number[] } {
  const calls: number[] = [];
  return {
    calls,
    async recognize(): Promise<RecognizedPage[]> {
      calls.push(now());
      if (calls.length <= failures) throw Object.assign(new Error('pool unavailable'), { name: 'PoolError' });
      return [{ page: 1, text: 'Recognized text', confidence: 90, source: 'ocr', words: [] }];
    },
    close: async () => undefined,
  };
}

describe('OcrJobRunner', () => {
  let dir: string;
  let store: SqliteEventStore;
  let keys: SqliteKeyStore;
  let blobs: FilesystemBlobStore;
  let records: EventSourcedRunner;
  let projections: ProjectionRunner;
  let ocr: OcrJobRunner | undefined;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'medrec-ocr-runner-'));
    store = new SqliteEventStore({ filename: join(dir, 'events.db') });
    keys = new SqliteKeyStore({ file: join(dir, 'keys.db'), masterKey: randomBytes(32) });
    blobs = new FilesystemBlobStore(join(dir, 'blobs'));
    const codec = new PhiCodec(keys, RECORD_PHI_FIELDS);
    records = new EventSourcedRunner(store, codec);
    projections = new ProjectionRunner(store, codec, [ocrJobsProjection], { filename: join(dir, 'read.db'), pollIntervalMs: 10 });
    const key = await keys.create(RECORD_ID);
    const stored = await putEncrypted(blobs, `records/${RECORD_ID}/content/1`, Buffer.from('%PDF-1.7 scanned page'), key);
    const command = createRecord({ content: content({ blobKey: stored.key, sha256: stored.sha256, size: stored.size }) });
    await records.run({
      stream: recordStream(RECORD_ID),
      keyId: RECORD_ID,
      decider: recordDecider,
      command,
      context: { actor: command.actor, correlationId: 'c', at: command.at },
    });
    projections.start();
  });

  afterEach(async () => {
    await ocr?.stop();
    await projections.stop();
    projections.close();
    await store.close();
    await keys.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function ocrEnded(timeoutMs: number): Promise<string | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ended = (await store.readStream(recordStream(RECORD_ID))).find((e) => e.type === 'OcrCompleted' || e.type === 'OcrFailed');
      if (ended || Date.now() > deadline) return ended?.type;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Another record with content to recognize (its own key and blob), as an upload makes one. */
  async function addRecord(recordId: string): Promise<void> {
    const key = await keys.create(recordId);
    const stored = await putEncrypted(blobs, `records/${recordId}/content/1`, Buffer.from(`%PDF-1.7 ${recordId}`), key);
    const command = createRecord({ recordId, content: content({ blobKey: stored.key, sha256: stored.sha256, size: stored.size }) });
    await records.run({
      stream: recordStream(recordId),
      keyId: recordId,
      decider: recordDecider,
      command,
      context: { actor: command.actor, correlationId: 'c', at: command.at },
    });
  }

  const claimsOf = async (recordId: string) => (await store.readStream(ocrJobStream(recordId, 1))).filter((e) => e.type === 'OcrJobClaimed').length;
  const endedOf = async (recordId: string) =>
    (await store.readStream(recordStream(recordId))).filter((e) => e.type === 'OcrCompleted' || e.type === 'OcrFailed').length;

  async function untilAsync(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
    for (const deadline = Date.now() + timeoutMs; !(await condition());) {
      if (Date.now() > deadline) throw new Error('condition not met in time');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Polls (with a deadline) until `condition` holds. */
  async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
    for (const deadline = Date.now() + timeoutMs; !condition();) {
      if (Date.now() > deadline) throw new Error('condition not met in time');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /**
   * With the clock held 1 ms short of the backoff, the runner looks for jobs several times without
   * retrying; 1 ms later it retries. Looks are counted, not waited for by wall time. Starts once
   * the runner has logged the last failure (it has set the backoff by then).
   */
  async function expectRetryAfter(clock: ReturnType<typeof manualClock>, recognizer: { calls: number[] }, logged: string[], delayMs: number): Promise<void> {
    const calls = recognizer.calls.length;
    await until(() => logged.filter((m) => m.includes('will retry')).length === calls);
    const looks = jest.spyOn(OcrJobRunner.prototype as unknown as { takeJobs(): void }, 'takeJobs');
    try {
      clock.advance(delayMs - 1);
      const before = looks.mock.calls.length;
      await until(() => looks.mock.calls.length >= before + 3);
      expect(recognizer.calls).toHaveLength(calls);
    } finally {
      looks.mockRestore();
    }
    clock.advance(1);
    await until(() => recognizer.calls.length > calls);
  }

  it('renews its lease while a slow recognition runs: another node does not take the job, and it is claimed once', async () => {
    const slow = (ms: number, calls: string[], node: string): DocumentRecognizer => ({
      async recognize(): Promise<RecognizedPage[]> {
        calls.push(node);
        await new Promise((r) => setTimeout(r, ms));
        return [{ page: 1, text: 'Recognized text', confidence: 90, source: 'ocr', words: [] }];
      },
      close: async () => undefined,
    });
    const calls: string[] = [];
    ocr = new OcrJobRunner(records, blobs, keys, pendingOcrJobsView(projections), slow(3_000, calls, 'node-a'), {
      nodeId: 'node-a',
      pollIntervalMs: 10,
      leaseMs: 2_000,
    });
    const other = new OcrJobRunner(records, blobs, keys, pendingOcrJobsView(projections), slow(0, calls, 'node-b'), {
      nodeId: 'node-b',
      pollIntervalMs: 10,
      leaseMs: 2_000,
    });
    ocr.start();
    await until(() => calls.length === 1);
    other.start();
    try {
      expect(await ocrEnded(10_000)).toBe('OcrCompleted');
    } finally {
      await other.stop();
    }
    expect(calls).toEqual(['node-a']);
    const claims = await store.readStream(ocrJobStream(RECORD_ID, 1));
    expect(claims.filter((e) => e.type === 'OcrJobClaimed').map((e) => e.data.nodeId)).toEqual(['node-a']);
    expect(claims.filter((e) => e.type === 'OcrJobLeaseRenewed').length).toBeGreaterThanOrEqual(2);
  });

  it('backs off after a failed recognition instead of spending its attempts at once, then completes', async () => {
    const clock = manualClock();
    const recognizer = flakyRecognizer(1, clock.now);
    const logged: string[] = [];
    ocr = new OcrJobRunner(records, blobs, keys, pendingOcrJobsView(projections), recognizer, {
      nodeId: 'node-a',
      pollIntervalMs: 10,
      retryDelayMs: 400,
      log: (m) => logged.push(m),
      now: clock.now,
    });
    ocr.start();
    await until(() => recognizer.calls.length === 1);
    await expectRetryAfter(clock, recognizer, logged, 400);
    expect(await ocrEnded(10_000)).toBe('OcrCompleted');
    expect(recognizer.calls).toHaveLength(2);
    expect(recognizer.calls[1] - recognizer.calls[0]).toBe(400);
    // Two claims: the failed attempt and the one that completed.
    expect((await store.readStream(ocrJobStream(RECORD_ID, 1))).map((e) => e.data.attempt)).toEqual([1, 2]);
    expect(logged.find((m) => m.includes('failed'))).toMatch(/\(PoolError: see the error type\); will retry in 0 s$/);
  });

  it('runs beforeComplete (the review queue) before OcrCompleted, and retries the attempt after a backoff when it fails', async () => {
    const clock = manualClock();
    const recognizer = flakyRecognizer(0, clock.now);
    const logged: string[] = [];
    const seen: Array<{ pages: number[]; completedBefore: boolean }> = [];
    ocr = new OcrJobRunner(records, blobs, keys, pendingOcrJobsView(projections), recognizer, {
      nodeId: 'node-a',
      pollIntervalMs: 10,
      retryDelayMs: 400,
      log: (m) => logged.push(m),
      now: clock.now,
      beforeComplete: async (_job, pages) => {
        const completedBefore = (await store.readStream(recordStream(RECORD_ID))).some((e) => e.type === 'OcrCompleted');
        seen.push({ pages: pages.map((p) => p.page), completedBefore });
        if (seen.length === 1) throw Object.assign(new Error('store unavailable'), { name: 'StoreError' });
      },
    });
    ocr.start();
    await until(() => seen.length === 1);
    await expectRetryAfter(clock, recognizer, logged, 400);
    expect(await ocrEnded(10_000)).toBe('OcrCompleted');
    expect(seen).toEqual([
      { pages: [1], completedBefore: false },
      { pages: [1], completedBefore: false },
    ]);
  });

  it('fails the version for good only after its attempts, each after a longer wait', async () => {
    const clock = manualClock();
    const recognizer = flakyRecognizer(10, clock.now);
    const logged: string[] = [];
    ocr = new OcrJobRunner(records, blobs, keys, pendingOcrJobsView(projections), recognizer, {
      nodeId: 'node-a',
      pollIntervalMs: 10,
      retryDelayMs: 100,
      maxAttempts: 3,
      log: (m) => logged.push(m),
      now: clock.now,
    });
    ocr.start();
    await until(() => recognizer.calls.length === 1);
    await expectRetryAfter(clock, recognizer, logged, 100);
    await expectRetryAfter(clock, recognizer, logged, 200);
    // The next claim after the third failure finds the attempts used up: OcrFailed, no fourth recognition.
    await until(() => logged.filter((m) => m.includes('will retry')).length === 3);
    clock.advance(400);
    expect(await ocrEnded(10_000)).toBe('OcrFailed');
    expect(recognizer.calls).toHaveLength(3);
    const [first, second, third] = recognizer.calls;
    expect([second - first, third - second]).toEqual([100, 200]);
  });

  it('fails the version at once, without retrying, when its content is refused for OCR (a page of an implausible shape)', async () => {
    const calls: number[] = [];
    const refusing: DocumentRecognizer = {
      async recognize() {
        calls.push(Date.now());
        throw new IngestRefusal('page-too-narrow', 'A page is narrower than the 16 pixels allowed');
      },
      close: async () => undefined,
    };
    ocr = new OcrJobRunner(records, blobs, keys, pendingOcrJobsView(projections), refusing, {
      nodeId: 'node-a',
      pollIntervalMs: 10,
      retryDelayMs: 5_000,
      maxAttempts: 3,
    });
    ocr.start();
    expect(await ocrEnded(3_000)).toBe('OcrFailed');
    expect(calls).toHaveLength(1);
    const failed = (await store.readStream(recordStream(RECORD_ID))).find((e) => e.type === 'OcrFailed')!;
    expect(failed.data.reason).toBe('The content cannot be recognized (page-too-narrow)');
  });

  it("leaves no copy of the record key in memory: every key handed out for the job (its own, the PHI codec's) is wiped", async () => {
    const handed: Buffer[] = [];
    const get = keys.get.bind(keys);
    const spy = jest.spyOn(keys, 'get').mockImplementation(async (id) => {
      const key = await get(id);
      if (key) handed.push(key);
      return key;
    });
    try {
      ocr = new OcrJobRunner(records, blobs, keys, pendingOcrJobsView(projections), flakyRecognizer(0), { nodeId: 'node-a', pollIntervalMs: 10 });
      ocr.start();
      expect(await ocrEnded(10_000)).toBe('OcrCompleted');
      expect(handed.length).toBeGreaterThan(0);
      for (const key of handed) expect(key.equals(Buffer.alloc(key.length))).toBe(true);
    } finally {
      spy.mockRestore();
    }
  });

  describe('stopping', () => {
    /** Recognizes nothing until closed; closing fails the document, as closing the OCR pool fails the pages it had not started. */
    function stuckRecognizer(): DocumentRecognizer & { started: number } {
      let fail: (error: Error) => void = () => undefined;
      const recognizer = {
        started: 0,
        recognize: (): Promise<RecognizedPage[]> =>
          new Promise<RecognizedPage[]>((_, reject) => {
            recognizer.started += 1;
            fail = reject;
          }),
        close: async () => fail(Object.assign(new Error('closed'), { name: 'OcrPoolClosedError' })),
      };
      return recognizer;
    }

    const eventsOfJob = async () => (await store.readStream(ocrJobStream(RECORD_ID, 1))).map((e) => `${e.type}:${(e.data as { nodeId: string }).nodeId}`);

    it('waits for the job in hand when it ends within the grace period', async () => {
      let finish: (() => void) | undefined;
      const recognizer: DocumentRecognizer = {
        recognize: () => new Promise<RecognizedPage[]>((r) => (finish = () => r([{ page: 1, text: 'Late text', confidence: 80, source: 'ocr', words: [] }]))),
        close: async () => undefined,
      };
      ocr = new OcrJobRunner(records, blobs, keys, pendingOcrJobsView(projections), recognizer, { nodeId: 'node-a', pollIntervalMs: 10 });
      ocr.start();
      await until(() => finish !== undefined);
      const stopped = ocr.stop({ graceMs: 5_000 });
      setTimeout(() => finish!(), 100);
      await stopped;
      expect(await ocrEnded(0)).toBe('OcrCompleted');
      expect(await eventsOfJob()).toEqual(['OcrJobClaimed:node-a']);
    });

    it('past the grace period, releases the job in hand: another node takes it over at once, and the attempt does not count', async () => {
      const stuck = stuckRecognizer();
      const logged: string[] = [];
      ocr = new OcrJobRunner(records, blobs, keys, pendingOcrJobsView(projections), stuck, {
        nodeId: 'node-a',
        pollIntervalMs: 10,
        log: (m) => logged.push(m),
      });
      ocr.start();
      await until(() => stuck.started === 1);
      await ocr.stop({ graceMs: 50 });
      expect(await eventsOfJob()).toEqual(['OcrJobClaimed:node-a', 'OcrJobReleased:node-a']);
      expect(await ocrEnded(0)).toBeUndefined();
      expect(logged.join('\n')).not.toMatch(/will retry|failed/);

      // Another node, long before node-a's ten-minute lease would have run out.
      ocr = new OcrJobRunner(records, blobs, keys, pendingOcrJobsView(projections), flakyRecognizer(0), { nodeId: 'node-b', pollIntervalMs: 10 });
      ocr.start();
      expect(await ocrEnded(10_000)).toBe('OcrCompleted');
      const claims = (await store.readStream(ocrJobStream(RECORD_ID, 1))).map((e) => e.data as { nodeId: string; attempt: number });
      expect(claims.at(-1)).toMatchObject({ nodeId: 'node-b', attempt: 1 });
    });
  });

  describe('scheduling', () => {
    const SECOND = '5d2e8a41-3c7b-4f0e-9a6d-1b2c3d4e5f60';
    const THIRD = '7a9b0c1d-2e3f-4a5b-8c6d-7e8f9a0b1c2d';

    it('takes a job when its upload is appended (the notification), not at the next poll, and claims it once however often it is told', async () => {
      const seen: string[] = [];
      let release: (() => void) | undefined;
      const recognizer: DocumentRecognizer = {
        async recognize(data: Buffer): Promise<RecognizedPage[]> {
          const which = data.toString().includes(SECOND) ? 'second' : 'first';
          seen.push(which);
          if (which === 'second') await new Promise<void>((r) => (release = r));
          return [{ page: 1, text: 'Recognized text', confidence: 90, source: 'ocr', words: [] }];
        },
        close: async () => undefined,
      };
      await projections.catchUp();
      // A poll a minute apart: only the look at start and the notifications find jobs within this test.
      ocr = new OcrJobRunner(records, blobs, keys, pendingOcrJobsView(projections), recognizer, { nodeId: 'node-a', pollIntervalMs: 60_000 });
      const notified: StoredEvent[] = [];
      const appends = store.subscribeAll(
        (event) => {
          notified.push(event);
          ocr!.appended(event);
        },
        { fromPosition: await store.headPosition() },
      );
      try {
        ocr.start();
        await until(() => seen.length === 1);
        await addRecord(SECOND);
        await until(() => release !== undefined, 5_000);
        // The same notification again and again while the job is in hand, and after it has ended.
        const created = notified.find((e) => e.type === 'RecordCreated')!;
        for (let i = 0; i < 5; i++) {
          ocr.appended(created);
          await new Promise((r) => setTimeout(r, 20));
        }
        release!();
        await until(() => seen.length === 2 && notified.some((e) => e.type === 'OcrCompleted' && e.stream === recordStream(SECOND)), 5_000);
        for (let i = 0; i < 5; i++) {
          ocr.appended(created);
          await new Promise((r) => setTimeout(r, 20));
        }
        await ocr.stop();
      } finally {
        await appends.close();
      }
      expect(seen).toEqual(['first', 'second']);
      expect([await claimsOf(SECOND), await endedOf(SECOND)]).toEqual([1, 1]);
    });

    it('claims the next job once the current one is rasterized (its recognition still running), no sooner, at most twice the concurrency in hand, each claimed once', async () => {
      await addRecord(SECOND);
      await addRecord(THIRD);
      const gates = new Map<string, () => void>();
      const gate = (name: string) => new Promise<void>((r) => gates.set(name, r));
      const started: string[] = [];
      const recognizer: DocumentRecognizer = {
        async recognize(data: Buffer, _type: string, progress?: RecognitionProgress): Promise<RecognizedPage[]> {
          const which = data.toString().includes(SECOND) ? 'second' : data.toString().includes(THIRD) ? 'third' : 'first';
          started.push(which);
          if (which === 'first') await gate('first-rasterized');
          progress?.rasterized?.();
          if (which !== 'third') await gate(which);
          return [{ page: 1, text: 'Recognized text', confidence: 90, source: 'ocr', words: [] }];
        },
        close: async () => undefined,
      };
      const settle = () => new Promise((r) => setTimeout(r, 200));
      ocr = new OcrJobRunner(records, blobs, keys, pendingOcrJobsView(projections), recognizer, { nodeId: 'node-a', pollIntervalMs: 10, concurrency: 1 });
      ocr.start();
      await until(() => gates.has('first-rasterized'));
      // Still rasterizing: with concurrency 1 nothing else is claimed, however many polls go by.
      await settle();
      expect(started).toEqual(['first']);
      gates.get('first-rasterized')!();
      await until(() => gates.has('second'));
      // Two in hand (one recognising, one rasterized too): the third waits for one of them to end.
      await settle();
      expect(started).toEqual(['first', 'second']);
      gates.get('first')!();
      await until(() => started.length === 3);
      gates.get('second')!();
      for (const id of [RECORD_ID, SECOND, THIRD]) await untilAsync(async () => (await endedOf(id)) === 1);
      await settle();
      expect(started).toEqual(['first', 'second', 'third']);
      expect(await Promise.all([RECORD_ID, SECOND, THIRD].map(claimsOf))).toEqual([1, 1, 1]);
      expect(await Promise.all([RECORD_ID, SECOND, THIRD].map(endedOf))).toEqual([1, 1, 1]);
    });
  });
});
