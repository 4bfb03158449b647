import { FakeEventStoreDbOptions, startFakeEventStoreDb } from '@medrec/test-support';
import { describeEventStoreConformance } from '../event-store.conformance';
import { EventStoreDbEventStore } from './eventstoredb-event-store';

const metadata = {
  actor: 'user-spec',
  role: 'clerk',
  correlationId: 'c',
  causationId: 'c',
  occurredAt: '2024-01-01T00:00:00.000Z',
  schemaVersion: 1,
};

function againstFakeServer(options: FakeEventStoreDbOptions = {}) {
  return async () => {
    const server = await startFakeEventStoreDb(options);
    const store = new EventStoreDbEventStore(server.connectionString);
    return {
      store,
      cleanup: async () => {
        await store.close();
        await server.stop();
      },
    };
  };
}

// Over real gRPC to a server speaking EventStoreDB's protocol, appending through BatchAppend as
// the client does with EventStoreDB 21.10+.
describeEventStoreConformance('EventStoreDbEventStore (fake EventStoreDB over gRPC)', againstFakeServer());

const connectionString = process.env.EVENTSTORE_CONNECTION_STRING;
if (connectionString) {
  describeEventStoreConformance('EventStoreDbEventStore (EventStoreDB at EVENTSTORE_CONNECTION_STRING)', async () => {
    const store = new EventStoreDbEventStore(connectionString);
    return { store, cleanup: () => store.close() };
  });
}

describe('EventStoreDbEventStore on a fresh fake EventStoreDB', () => {
  it('reports head position 0 while the log holds only system events', async () => {
    const server = await startFakeEventStoreDb();
    const store = new EventStoreDbEventStore(server.connectionString);
    try {
      expect(await store.headPosition()).toBe(0);
      expect(await store.readAll()).toEqual([]);
    } finally {
      await store.close();
      await server.stop();
    }
  });

  it('rejects a subscription when the server goes away', async () => {
    const server = await startFakeEventStoreDb();
    const store = new EventStoreDbEventStore(server.connectionString);
    try {
      const subscription = store.subscribeAll(() => undefined);
      await store.append('spec-gone', [{ type: 'A', data: {}, metadata }], 'no_stream');
      await server.stop();
      await expect(subscription.done).rejects.toThrow();
    } finally {
      await store.close();
    }
  });
});

describe('EventStoreDbEventStore specifics (fake EventStoreDB)', () => {
  let server: Awaited<ReturnType<typeof startFakeEventStoreDb>>;
  let store: EventStoreDbEventStore;

  beforeAll(async () => {
    // The older Append call, which the client uses when the server does not offer BatchAppend.
    server = await startFakeEventStoreDb({ batchAppend: false });
    store = new EventStoreDbEventStore(server.connectionString);
  });

  afterAll(async () => {
    await store.close();
    await server.stop();
  });

  it('appends through the plain Append call too', async () => {
    const result = await store.append('spec-append', [{ type: 'A', data: { n: 1 }, metadata }], 'no_stream');
    expect(result.nextRevision).toBe(0);
    await expect(store.append('spec-append', [{ type: 'A', data: {}, metadata }], 'no_stream')).rejects.toMatchObject({
      name: 'WrongExpectedRevisionError',
      actual: 0,
    });
  });

  it('hides the system events EventStoreDB writes: stream metadata, tombstones, its own streams', async () => {
    await store.append('spec-doomed', [{ type: 'A', data: {}, metadata }], 'no_stream');
    await store.deleteStream('spec-doomed');
    await store.append('spec-other', [{ type: 'A', data: {}, metadata }], 'no_stream');
    await store.tombstoneStream('spec-other');
    const all = await store.readAll();
    expect(all.length).toBeGreaterThan(0);
    expect(all.filter((e) => e.type.startsWith('$') || e.stream.startsWith('$'))).toEqual([]);
  });

  it('positions are byte offsets: increasing, not consecutive', async () => {
    const result = await store.append(
      'spec-gaps',
      [1, 2].map((n) => ({ type: 'A', data: { n }, metadata })),
      'no_stream',
    );
    const [first, second] = await store.readStream('spec-gaps');
    expect(second.position).toBe(result.position);
    expect(second.position - first.position).toBeGreaterThan(1);
  });

  it('reads $all and subscribes from a position that is not an event position', async () => {
    const result = await store.append('spec-offset', [{ type: 'A', data: {}, metadata }], 'no_stream');
    expect((await store.readAll({ fromPosition: result.position + 1 })).map((e) => e.stream)).not.toContain('spec-offset');
    const [fromJustBefore] = await store.readAll({ fromPosition: result.position - 1 });
    expect(fromJustBefore.position).toBe(result.position);

    const received: number[] = [];
    const subscription = store.subscribeAll((e) => void received.push(e.position), { fromPosition: result.position - 1 });
    try {
      const deadline = Date.now() + 5_000;
      while (received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(received[0]).toBe(result.position);
    } finally {
      await subscription.close();
    }
  });

  it('deleteStream checks stream_exists', async () => {
    await expect(store.deleteStream('spec-missing', 'stream_exists')).rejects.toMatchObject({
      name: 'WrongExpectedRevisionError',
      actual: 'no_stream',
    });
    await store.append('spec-present', [{ type: 'A', data: {}, metadata }], 'no_stream');
    await store.deleteStream('spec-present', 'stream_exists');
    expect(await store.readStream('spec-present')).toEqual([]);
  });

  it('rejects malformed arguments before calling the server', async () => {
    await expect(store.append('spec-empty', [], 'any')).rejects.toThrow(TypeError);
    await expect(store.append('spec-empty', [{ type: 'A', data: {}, metadata }], -1)).rejects.toThrow(RangeError);
    await expect(store.readStream('spec-empty', { maxCount: -1 })).rejects.toThrow(RangeError);
    await expect(store.readStream('spec-empty', { fromRevision: 1.5 })).rejects.toThrow(RangeError);
    await expect(store.readAll({ fromPosition: -1 })).rejects.toThrow(RangeError);
  });
});
