/**
 * The event store port's contract, as a jest suite every adapter runs:
 *
 *   describeEventStoreConformance('SqliteEventStore', async () => ({ store, cleanup }));
 *
 * It must hold against a shared, non-empty store (a real EventStoreDB server): every test
 * writes to its own fresh streams and compares positions relative to `headPosition()`,
 * filtering `readAll`/`subscribeAll` results down to the streams it wrote.
 * Adapter-specific promises (gap-free positions, group commit) are tested in the adapter's spec.
 */
import { randomUUID } from 'node:crypto';
import { EventMetadata, EventStore, NewEvent, StoredEvent, StreamDeletedError, Subscription, WrongExpectedRevisionError } from './event-store.port';

export interface EventStoreFixture {
  store: EventStore;
  cleanup: () => Promise<void>;
}

const LIVE_TIMEOUT_MS = 10_000;
/** How long to keep listening after the expected events arrived, to catch duplicates or late strays. */
const SETTLE_MS = 400;

function metadata(overrides: Partial<EventMetadata> = {}): EventMetadata {
  return {
    actor: 'user-conformance',
    role: 'clerk',
    correlationId: randomUUID(),
    causationId: randomUUID(),
    occurredAt: '2024-01-02T03:04:05.678Z',
    schemaVersion: 1,
    ...overrides,
  };
}

function event(type = 'TestEvent', data: Record<string, unknown> = {}): NewEvent {
  return { type, data, metadata: metadata() };
}

function events(count: number, type = 'TestEvent'): NewEvent[] {
  return Array.from({ length: count }, (_, i) => event(type, { i }));
}

function streamName(prefix = 'conformance'): string {
  return `${prefix}-${randomUUID()}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = LIVE_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(10);
  }
}

async function expectWrongRevision(promise: Promise<unknown>, expected: { stream: string; actual: number | 'no_stream' }): Promise<void> {
  const error = await promise.then(
    () => {
      throw new Error('expected WrongExpectedRevisionError, but the operation succeeded');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WrongExpectedRevisionError);
  expect((error as WrongExpectedRevisionError).stream).toBe(expected.stream);
  expect((error as WrongExpectedRevisionError).actual).toBe(expected.actual);
}

async function expectStreamDeleted(promise: Promise<unknown>, stream: string): Promise<void> {
  const error = await promise.then(
    () => {
      throw new Error('expected StreamDeletedError, but the operation succeeded');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StreamDeletedError);
  expect((error as StreamDeletedError).stream).toBe(stream);
}

export function describeEventStoreConformance(name: string, factory: () => Promise<EventStoreFixture>): void {
  describe(name, () => {
    let store: EventStore;
    let cleanup: () => Promise<void>;
    const subscriptions: Subscription[] = [];

    beforeAll(async () => {
      ({ store, cleanup } = await factory());
    });

    afterEach(async () => {
      await Promise.all(subscriptions.splice(0).map((s) => s.close()));
    });

    afterAll(async () => {
      await cleanup?.();
    });

    /** Subscribes and records the events of the given streams only (the store may be shared). */
    function collect(streams: string[], fromPosition: number, onEvent?: (e: StoredEvent) => void) {
      const received: StoredEvent[] = [];
      const subscription = store.subscribeAll(
        (e) => {
          if (!streams.includes(e.stream)) return;
          received.push(e);
          onEvent?.(e);
        },
        { fromPosition },
      );
      subscriptions.push(subscription);
      return { received, subscription };
    }

    describe('append and expected revision', () => {
      it("appends to a new stream with 'no_stream', starting at revision 0", async () => {
        const stream = streamName();
        const head = await store.headPosition();
        const result = await store.append(stream, [event()], 'no_stream');
        expect(result.nextRevision).toBe(0);
        expect(result.position).toBeGreaterThan(head);
        expect(await store.streamRevision(stream)).toBe(0);
      });

      it("rejects 'no_stream' on an existing stream with the actual revision", async () => {
        const stream = streamName();
        await store.append(stream, events(2), 'no_stream');
        await expectWrongRevision(store.append(stream, [event()], 'no_stream'), { stream, actual: 1 });
        expect(await store.readStream(stream)).toHaveLength(2);
      });

      it('appends when the expected revision is the last revision', async () => {
        const stream = streamName();
        await store.append(stream, [event()], 'no_stream');
        const second = await store.append(stream, [event()], 0);
        const third = await store.append(stream, events(2), 1);
        expect(second.nextRevision).toBe(1);
        expect(third.nextRevision).toBe(3);
        expect(third.position).toBeGreaterThan(second.position);
      });

      it('rejects a wrong expected revision with the actual one, writing nothing', async () => {
        const stream = streamName();
        await store.append(stream, events(3), 'no_stream');
        await expectWrongRevision(store.append(stream, [event()], 1), { stream, actual: 2 });
        await expectWrongRevision(store.append(stream, [event()], 3), { stream, actual: 2 });
        expect(await store.streamRevision(stream)).toBe(2);
        expect(await store.readStream(stream)).toHaveLength(3);
      });

      it("rejects an expected revision on a stream that does not exist with actual 'no_stream'", async () => {
        const stream = streamName();
        await expectWrongRevision(store.append(stream, [event()], 0), { stream, actual: 'no_stream' });
        expect(await store.readStream(stream)).toEqual([]);
      });

      it("'stream_exists' rejects a missing stream and accepts an existing one", async () => {
        const stream = streamName();
        await expectWrongRevision(store.append(stream, [event()], 'stream_exists'), { stream, actual: 'no_stream' });
        await store.append(stream, [event()], 'no_stream');
        const result = await store.append(stream, [event()], 'stream_exists');
        expect(result.nextRevision).toBe(1);
      });

      it("'any' appends to a missing and to an existing stream", async () => {
        const stream = streamName();
        expect((await store.append(stream, [event()], 'any')).nextRevision).toBe(0);
        expect((await store.append(stream, events(2), 'any')).nextRevision).toBe(2);
      });

      it('appends several events atomically with contiguous revisions and increasing positions', async () => {
        const stream = streamName();
        const result = await store.append(stream, events(5), 'no_stream');
        const read = await store.readStream(stream);
        expect(read.map((e) => e.revision)).toEqual([0, 1, 2, 3, 4]);
        expect(read.map((e) => e.data)).toEqual([0, 1, 2, 3, 4].map((i) => ({ i })));
        for (let i = 1; i < read.length; i++) expect(read[i].position).toBeGreaterThan(read[i - 1].position);
        expect(result).toEqual({ nextRevision: 4, position: read[4].position });
      });

      it('writes none of the events of a rejected multi-event append', async () => {
        const stream = streamName();
        await store.append(stream, [event()], 'no_stream');
        await expectWrongRevision(store.append(stream, events(4), 'no_stream'), { stream, actual: 0 });
        expect(await store.readStream(stream)).toHaveLength(1);
      });

      it('never interleaves the events of concurrent multi-event appends to one stream', async () => {
        const stream = streamName();
        const batches = ['A', 'B', 'C'].map((type) => events(4, type));
        await Promise.all(batches.map((batch) => store.append(stream, batch, 'any')));
        const types = (await store.readStream(stream)).map((e) => e.type);
        expect(types).toHaveLength(12);
        for (let i = 0; i < 12; i += 4) expect(new Set(types.slice(i, i + 4)).size).toBe(1);
        expect(new Set(types)).toEqual(new Set(['A', 'B', 'C']));
      });

      it('lets exactly one of several concurrent appends with the same expected revision win', async () => {
        const stream = streamName();
        await store.append(stream, [event()], 'no_stream');
        const outcomes = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => store.append(stream, [event('Racer', { i })], 0)));
        const won = outcomes.filter((o) => o.status === 'fulfilled');
        const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
        expect(won).toHaveLength(1);
        for (const o of lost) {
          expect(o.reason).toBeInstanceOf(WrongExpectedRevisionError);
          expect(o.reason.actual).toBe(1);
        }
        expect(await store.streamRevision(stream)).toBe(1);
      });

      it("lets exactly one of several concurrent 'no_stream' appends win", async () => {
        const stream = streamName();
        const outcomes = await Promise.allSettled(Array.from({ length: 4 }, () => store.append(stream, events(2), 'no_stream')));
        expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
        expect(await store.readStream(stream)).toHaveLength(2);
      });
    });

    describe('stored events', () => {
      it('round-trips data and metadata exactly (nested JSON, unicode)', async () => {
        const stream = streamName();
        const data = {
          title: 'Compte rendu opératoire — 手術記録 — 🩺',
          nested: { list: [1, 2.5, -3, { deep: [null, true, false, ''] }], empty: {}, none: null },
          quotes: 'a "quoted" \\ backslash\nnewline\ttab \u0000 nul',
          big: Number.MAX_SAFE_INTEGER,
          rtl: 'مرحبا',
        };
        const meta = metadata({ purpose: 'TREATMENT', prevHash: 'genesis', hash: 'ab'.repeat(32), extra: { k: ['v'] } });
        const head = await store.headPosition();
        await store.append(stream, [{ type: 'RecordCreated', data, metadata: meta }], 'no_stream');
        const [stored] = await store.readStream(stream);
        expect(stored.stream).toBe(stream);
        expect(stored.type).toBe('RecordCreated');
        expect(stored.data).toEqual(data);
        expect(stored.metadata).toEqual(meta);
        const [fromAll] = (await store.readAll({ fromPosition: head })).filter((e) => e.stream === stream);
        expect(fromAll).toEqual(stored);
      });

      it('keeps the event ids it is given and generates unique ids otherwise', async () => {
        const stream = streamName();
        const id = randomUUID();
        await store.append(stream, [{ ...event(), id }, event(), event()], 'no_stream');
        const read = await store.readStream(stream);
        expect(read[0].id).toBe(id);
        expect(read[1].id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
        expect(new Set(read.map((e) => e.id)).size).toBe(3);
      });

      it('stamps recordedAt as an ISO 8601 time of the append', async () => {
        const stream = streamName();
        const before = Date.now();
        await store.append(stream, [event()], 'no_stream');
        const after = Date.now();
        const [stored] = await store.readStream(stream);
        expect(new Date(stored.recordedAt).toISOString()).toBe(stored.recordedAt);
        // Allow for clock skew between the test and a remote server.
        expect(Date.parse(stored.recordedAt)).toBeGreaterThanOrEqual(before - 60_000);
        expect(Date.parse(stored.recordedAt)).toBeLessThanOrEqual(after + 60_000);
      });
    });

    describe('readStream', () => {
      let stream: string;
      beforeAll(async () => {
        stream = streamName();
        await store.append(stream, events(10), 'no_stream');
      });
      const revisions = (read: StoredEvent[]) => read.map((e) => e.revision);

      it('reads forwards from the start by default', async () => {
        expect(revisions(await store.readStream(stream))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        expect(revisions(await store.readStream(stream, { direction: 'forwards' }))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      });

      it('reads backwards from the end', async () => {
        expect(revisions(await store.readStream(stream, { direction: 'backwards' }))).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
      });

      it('starts at fromRevision, inclusive, in both directions', async () => {
        expect(revisions(await store.readStream(stream, { fromRevision: 7 }))).toEqual([7, 8, 9]);
        expect(revisions(await store.readStream(stream, { fromRevision: 2, direction: 'backwards' }))).toEqual([2, 1, 0]);
        expect(await store.readStream(stream, { fromRevision: 10 })).toEqual([]);
      });

      it('honours maxCount', async () => {
        expect(revisions(await store.readStream(stream, { maxCount: 3 }))).toEqual([0, 1, 2]);
        expect(revisions(await store.readStream(stream, { direction: 'backwards', maxCount: 1 }))).toEqual([9]);
        expect(revisions(await store.readStream(stream, { fromRevision: 4, maxCount: 2 }))).toEqual([4, 5]);
        expect(revisions(await store.readStream(stream, { fromRevision: 4, direction: 'backwards', maxCount: 2 }))).toEqual([4, 3]);
      });

      it('reads a stream that does not exist as [] with no revision', async () => {
        const missing = streamName();
        expect(await store.readStream(missing)).toEqual([]);
        expect(await store.readStream(missing, { direction: 'backwards' })).toEqual([]);
        expect(await store.streamRevision(missing)).toBeNull();
      });

      it('reports the last revision', async () => {
        expect(await store.streamRevision(stream)).toBe(9);
      });
    });

    describe('readAll and positions', () => {
      it('orders events of all streams by strictly increasing position', async () => {
        const a = streamName();
        const b = streamName();
        const head = await store.headPosition();
        const r1 = await store.append(a, [event('One')], 'no_stream');
        const r2 = await store.append(b, events(2, 'Two'), 'no_stream');
        const r3 = await store.append(a, [event('Three')], 0);
        expect(r1.position).toBeGreaterThan(head);
        expect(r2.position).toBeGreaterThan(r1.position);
        expect(r3.position).toBeGreaterThan(r2.position);

        const all = await store.readAll({ fromPosition: head });
        for (let i = 1; i < all.length; i++) expect(all[i].position).toBeGreaterThan(all[i - 1].position);
        const ours = all.filter((e) => e.stream === a || e.stream === b);
        expect(ours.map((e) => [e.stream, e.type, e.revision])).toEqual([
          [a, 'One', 0],
          [b, 'Two', 0],
          [b, 'Two', 1],
          [a, 'Three', 1],
        ]);
        expect(ours[0].position).toBe(r1.position);
        expect(ours[2].position).toBe(r2.position);
        expect(ours[3].position).toBe(r3.position);
        expect(all.every((e) => !e.type.startsWith('$'))).toBe(true);
      });

      it('reads from fromPosition exclusive and honours maxCount', async () => {
        // Only positions the store handed out are used as fromPosition: an adapter need not
        // accept arbitrary numbers (EventStoreDB positions are log offsets).
        const stream = streamName();
        const head = await store.headPosition();
        await store.append(stream, events(4), 'no_stream');
        const read = await store.readStream(stream);
        const after = (await store.readAll({ fromPosition: read[1].position })).filter((e) => e.stream === stream);
        expect(after.map((e) => e.revision)).toEqual([2, 3]);

        const page = await store.readAll({ fromPosition: head, maxCount: 2 });
        expect(page).toHaveLength(2);
        expect(page[0].position).toBeGreaterThan(head);
        expect(page[1].position).toBeGreaterThan(page[0].position);
        expect(page[1].position).toBeLessThanOrEqual(read[1].position);

        const [next] = await store.readAll({ fromPosition: read[2].position, maxCount: 1 });
        expect(next.position).toBeGreaterThan(read[2].position);
        expect(next.position).toBeLessThanOrEqual(read[3].position);
      });

      it('reports the head position: the newest event', async () => {
        const head = await store.headPosition();
        expect(head).toBeGreaterThanOrEqual(0);
        const result = await store.append(streamName(), [event()], 'no_stream');
        const all = await store.readAll({ fromPosition: head });
        const newHead = await store.headPosition();
        expect(newHead).toBeGreaterThanOrEqual(result.position);
        expect(all[all.length - 1].position).toBeLessThanOrEqual(newHead);
      });
    });

    describe('subscribeAll', () => {
      it('catches up, then delivers live events in order, exactly once, none before fromPosition', async () => {
        const stream = streamName();
        const before = await store.append(stream, events(3, 'Before'), 'no_stream');
        const caughtUp = await store.append(stream, events(2, 'CatchUp'), 2);

        const { received } = collect([stream], before.position);
        await waitFor(() => received.length >= 2, 'catch-up events');

        for (let i = 0; i < 5; i++) await store.append(stream, [event('Live', { i })], 4 + i);
        await Promise.all([store.append(stream, [event('Burst')], 'any'), store.append(stream, [event('Burst')], 'any')]);
        await waitFor(() => received.length >= 9, 'live events');
        await sleep(SETTLE_MS);

        expect(received.map((e) => e.revision)).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11]);
        expect(received.map((e) => e.type).slice(0, 3)).toEqual(['CatchUp', 'CatchUp', 'Live']);
        expect(received[1].position).toBe(caughtUp.position);
        expect(received.every((e) => e.position > before.position)).toBe(true);
        for (let i = 1; i < received.length; i++) {
          expect(received[i].position).toBeGreaterThan(received[i - 1].position);
        }
      });

      it('delivers the same event as readAll, with data and metadata', async () => {
        const stream = streamName();
        const head = await store.headPosition();
        const { received } = collect([stream], head);
        await store.append(stream, [{ ...event('Full', { nested: { a: ['ü'] } }), id: randomUUID() }], 'no_stream');
        await waitFor(() => received.length === 1, 'the event');
        const [read] = await store.readStream(stream);
        expect(received[0]).toEqual(read);
      });

      it('delivers one event at a time: the next waits for the handler', async () => {
        const stream = streamName();
        const head = await store.headPosition();
        let active = 0;
        let maxActive = 0;
        const seen: number[] = [];
        const subscription = store.subscribeAll(
          async (e) => {
            if (e.stream !== stream) return;
            active++;
            maxActive = Math.max(maxActive, active);
            await sleep(20);
            seen.push(e.revision);
            active--;
          },
          { fromPosition: head },
        );
        subscriptions.push(subscription);
        await store.append(stream, events(5), 'no_stream');
        await waitFor(() => seen.length === 5, 'all events');
        expect(maxActive).toBe(1);
        expect(seen).toEqual([0, 1, 2, 3, 4]);
      });

      it('stops delivering after close(), and done resolves', async () => {
        const stream = streamName();
        const head = await store.headPosition();
        const { received, subscription } = collect([stream], head);
        await store.append(stream, [event()], 'no_stream');
        await waitFor(() => received.length === 1, 'the first event');

        await subscription.close();
        await expect(subscription.done).resolves.toBeUndefined();
        await store.append(stream, events(3), 0);
        await sleep(SETTLE_MS);
        expect(received).toHaveLength(1);
      });

      it('close() waits for the handler in flight', async () => {
        const stream = streamName();
        const head = await store.headPosition();
        let started = false;
        let finished = false;
        const subscription = store.subscribeAll(
          async (e) => {
            if (e.stream !== stream) return;
            started = true;
            await sleep(150);
            finished = true;
          },
          { fromPosition: head },
        );
        subscriptions.push(subscription);
        await store.append(stream, [event()], 'no_stream');
        await waitFor(() => started, 'the handler to start');
        await subscription.close();
        expect(finished).toBe(true);
      });

      it('rejects done with the error a handler throws, and stops', async () => {
        const stream = streamName();
        const head = await store.headPosition();
        const failure = new Error('handler failed');
        let calls = 0;
        const subscription = store.subscribeAll(
          (e) => {
            if (e.stream !== stream) return;
            calls++;
            throw failure;
          },
          { fromPosition: head },
        );
        subscriptions.push(subscription);
        await store.append(stream, events(3), 'no_stream');
        await expect(subscription.done).rejects.toBe(failure);
        await sleep(SETTLE_MS);
        expect(calls).toBe(1);
        await expect(subscription.close()).resolves.toBeUndefined();
      });

      it('rejects done when an async handler rejects', async () => {
        const stream = streamName();
        const head = await store.headPosition();
        const failure = new Error('async handler failed');
        const subscription = store.subscribeAll(
          async (e) => {
            if (e.stream === stream) throw failure;
          },
          { fromPosition: head },
        );
        subscriptions.push(subscription);
        await store.append(stream, [event()], 'no_stream');
        await expect(subscription.done).rejects.toBe(failure);
      });
    });

    describe('deleteStream (soft)', () => {
      it('makes the stream read as empty; it may be written again, revisions continuing', async () => {
        const stream = streamName();
        await store.append(stream, events(3, 'Old'), 'no_stream');
        await store.deleteStream(stream);
        expect(await store.readStream(stream)).toEqual([]);
        expect(await store.readStream(stream, { direction: 'backwards' })).toEqual([]);
        expect(await store.streamRevision(stream)).toBeNull();

        const result = await store.append(stream, events(2, 'New'), 'any');
        expect(result.nextRevision).toBe(4);
        const read = await store.readStream(stream);
        expect(read.map((e) => [e.type, e.revision])).toEqual([
          ['New', 3],
          ['New', 4],
        ]);
        expect(await store.streamRevision(stream)).toBe(4);
      });

      it('checks the expected revision', async () => {
        const stream = streamName();
        await store.append(stream, events(2), 'no_stream');
        await expectWrongRevision(store.deleteStream(stream, 0), { stream, actual: 1 });
        expect(await store.readStream(stream)).toHaveLength(2);
        await store.deleteStream(stream, 1);
        expect(await store.readStream(stream)).toEqual([]);
      });
    });

    describe('tombstoneStream (hard)', () => {
      it('makes the stream read as empty and every later append fail with StreamDeletedError', async () => {
        const stream = streamName();
        await store.append(stream, events(2), 'no_stream');
        await store.tombstoneStream(stream);
        expect(await store.readStream(stream)).toEqual([]);
        expect(await store.streamRevision(stream)).toBeNull();
        await expectStreamDeleted(store.append(stream, [event()], 'any'), stream);
        await expectStreamDeleted(store.append(stream, [event()], 'no_stream'), stream);
        await expectStreamDeleted(store.append(stream, [event()], 1), stream);
        expect(await store.readStream(stream)).toEqual([]);
      });

      it('checks the expected revision', async () => {
        const stream = streamName();
        await store.append(stream, events(2), 'no_stream');
        await expectWrongRevision(store.tombstoneStream(stream, 5), { stream, actual: 1 });
        await store.tombstoneStream(stream, 1);
        await expectStreamDeleted(store.append(stream, [event()], 'any'), stream);
      });

      it('does not affect other streams', async () => {
        const doomed = streamName();
        const other = streamName();
        await store.append(doomed, [event()], 'no_stream');
        await store.append(other, [event()], 'no_stream');
        await store.tombstoneStream(doomed);
        expect(await store.readStream(other)).toHaveLength(1);
        expect((await store.append(other, [event()], 0)).nextRevision).toBe(1);
      });
    });
  });
}
