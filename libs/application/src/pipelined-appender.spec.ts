import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GENESIS, verifyChain } from '@medrec/crypto';
import { recordAccessStream } from '@medrec/domain';
import { actors, RECORD_ID, times } from '@medrec/domain/testing';
import { SqliteEventStore } from '@medrec/event-store';
import type { CommandContext } from './command-context';
import type { DomainEvent } from './decider';
import { chainEvents } from './event-sourced-runner';
import { PipelinedAppender } from './pipelined-appender';

const STREAM = recordAccessStream(RECORD_ID);
const context: CommandContext = { actor: actors.clinician, purpose: 'treatment', correlationId: 'corr-read', at: times.accessed };

const accessed = (n: number): DomainEvent => ({
  type: 'RecordAccessed',
  data: {
    recordId: RECORD_ID,
    accessId: `acc-${n}`,
    version: 1,
    what: 'content',
    purpose: 'treatment',
    actor: actors.clinician.username,
    role: 'clinician',
    at: times.accessed,
  },
});

/** Lets pending microtasks run (the appender chains after awaiting its cached tail) without letting the store flush. */
async function settleMicrotasks(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

describe('PipelinedAppender', () => {
  describe('on one store', () => {
    let store: SqliteEventStore;
    let appender: PipelinedAppender;

    beforeEach(() => {
      store = new SqliteEventStore({ filename: ':memory:' });
      appender = new PipelinedAppender(store);
    });
    afterEach(() => store.close());

    it('starts a new stream on GENESIS and continues it across calls', async () => {
      await expect(appender.append(STREAM, [accessed(0)], context)).resolves.toMatchObject({ nextRevision: 0 });
      await expect(appender.append(STREAM, [accessed(1), accessed(2)], context)).resolves.toMatchObject({ nextRevision: 2 });

      const stored = await store.readStream(STREAM);
      expect(stored[0].metadata.prevHash).toBe(GENESIS);
      expect(stored[0].metadata).toMatchObject({ actor: actors.clinician.username, role: 'clinician', purpose: 'treatment' });
      expect(verifyChain(stored)).toEqual({ valid: true });
    });

    it('commits 200 concurrent appends to one stream as one valid chain, sharing transactions', async () => {
      const results = await Promise.all(Array.from({ length: 200 }, (_, i) => appender.append(STREAM, [accessed(i)], context)));

      expect(results.map((r) => r.nextRevision).sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i));
      const stored = await store.readStream(STREAM);
      expect(stored.map((e) => e.revision)).toEqual(Array.from({ length: 200 }, (_, i) => i));
      expect(new Set(stored.map((e) => e.data.accessId)).size).toBe(200);
      expect(verifyChain(stored)).toEqual({ valid: true });
      const { transactions, events } = store.stats();
      expect(events).toBe(200);
      expect(transactions).toBeLessThanOrEqual(10);
    });

    it('coalesces appends issued while a batch is being written into the next batch', async () => {
      await appender.append(STREAM, [accessed(0)], context); // warm tail
      const before = store.stats().transactions;

      const pending = [];
      for (let i = 1; i <= 50; i++) {
        pending.push(appender.append(STREAM, [accessed(i)], context));
        await settleMicrotasks();
      }
      await Promise.all(pending);

      // The first is written at once; the 49 that arrive meanwhile go together in one more.
      const stats = store.stats();
      expect(stats.transactions - before).toBeLessThanOrEqual(2);
      expect(verifyChain(await store.readStream(STREAM))).toEqual({ valid: true });
    });

    it('keeps streams apart', async () => {
      const other = recordAccessStream('7c1d9e2f-3a4b-4c5d-8e6f-0a1b2c3d4e5f');
      await Promise.all([
        ...Array.from({ length: 20 }, (_, i) => appender.append(STREAM, [accessed(i)], context)),
        ...Array.from({ length: 20 }, (_, i) => appender.append(other, [accessed(i)], context)),
      ]);

      expect(await store.streamRevision(STREAM)).toBe(19);
      expect(await store.streamRevision(other)).toBe(19);
      expect(verifyChain(await store.readAll())).toEqual({ valid: true });
    });
  });

  describe('with another process writing the same file', () => {
    let dir: string;
    let store: SqliteEventStore;
    let otherProcess: SqliteEventStore;
    let appender: PipelinedAppender;

    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'medrec-pipelined-'));
      store = new SqliteEventStore({ filename: join(dir, 'events.db') });
      otherProcess = new SqliteEventStore({ filename: join(dir, 'events.db') });
      appender = new PipelinedAppender(store);
    });
    afterEach(async () => {
      await store.close();
      await otherProcess.close();
      rmSync(dir, { recursive: true, force: true });
    });

    /** The other process appends correctly chained events, as its own appender would. */
    async function writeFromOtherProcess(count: number): Promise<void> {
      const [last] = await otherProcess.readStream(STREAM, { direction: 'backwards', maxCount: 1 });
      const events = Array.from({ length: count }, (_, i) => accessed(1000 + i));
      await otherProcess.append(STREAM, chainEvents(events, context, last ? (last.metadata.hash as string) : GENESIS), last ? last.revision : 'no_stream');
    }

    it('reloads a stale tail and retries, keeping the chain valid', async () => {
      await appender.append(STREAM, [accessed(0)], context); // caches the tail
      await writeFromOtherProcess(2);

      await expect(appender.append(STREAM, [accessed(1)], context)).resolves.toMatchObject({ nextRevision: 3 });

      const stored = await store.readStream(STREAM);
      expect(stored.map((e) => e.data.accessId)).toEqual(['acc-0', 'acc-1000', 'acc-1001', 'acc-1']);
      expect(verifyChain(stored)).toEqual({ valid: true });
    });

    it('recovers a burst of concurrent appends from a stale tail', async () => {
      await appender.append(STREAM, [accessed(0)], context);
      await writeFromOtherProcess(1);

      await Promise.all(Array.from({ length: 30 }, (_, i) => appender.append(STREAM, [accessed(i + 1)], context)));

      const stored = await store.readStream(STREAM);
      expect(stored).toHaveLength(32);
      expect(verifyChain(stored)).toEqual({ valid: true });
    });

    // Known bug (see report): an append pipelined onto a stale append is checked by revision only.
    // When the other process wrote exactly as many events as the stale append carried, the stale
    // append fails but its successor's expected revision matches, so the successor commits with a
    // prevHash that no stored event has.
    it('never commits an append chained onto a predecessor that failed', async () => {
      await appender.append(STREAM, [accessed(0)], context);
      await writeFromOtherProcess(1);

      const first = appender.append(STREAM, [accessed(1)], context);
      await settleMicrotasks(); // the second append is chained onto the first before either commits
      const second = appender.append(STREAM, [accessed(2)], context);
      await Promise.allSettled([first, second]);

      const stored = await store.readStream(STREAM);
      expect(verifyChain(stored)).toEqual({ valid: true });
    });
  });
});
