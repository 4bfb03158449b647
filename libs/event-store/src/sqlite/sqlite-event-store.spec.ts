import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from '@medrec/sqlite';
import { describeEventStoreConformance } from '../event-store.conformance';
import { NewEvent, StoredEvent, StreamDeletedError, WrongExpectedRevisionError } from '../event-store.port';
import { SqliteEventStore } from './sqlite-event-store';
import { WriteThreadQueue } from './write-thread-client';

function event(type = 'TestEvent', data: Record<string, unknown> = {}, id?: string): NewEvent {
  return {
    ...(id ? { id } : {}),
    type,
    data,
    metadata: {
      actor: 'user-1',
      role: 'clerk',
      correlationId: 'c-1',
      causationId: 'c-1',
      occurredAt: '2024-01-01T00:00:00.000Z',
      schemaVersion: 1,
    },
  };
}

function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'medrec-event-store-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describeEventStoreConformance('SqliteEventStore (conformance, file)', async () => {
  const { dir, remove } = tempDir();
  const store = new SqliteEventStore({ filename: join(dir, 'events.db') });
  return {
    store,
    cleanup: async () => {
      await store.close();
      remove();
    },
  };
});

describeEventStoreConformance('SqliteEventStore (conformance, :memory:)', async () => {
  const store = new SqliteEventStore({ filename: ':memory:' });
  return { store, cleanup: () => store.close() };
});

describe('SqliteEventStore', () => {
  let dir: string;
  let remove: () => void;
  let filename: string;
  const open: SqliteEventStore[] = [];

  function openStore(options: { pollIntervalMs?: number } = {}): SqliteEventStore {
    const store = new SqliteEventStore({ filename, ...options });
    open.push(store);
    return store;
  }

  beforeEach(() => {
    ({ dir, remove } = tempDir());
    filename = join(dir, 'events.db');
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
    remove();
  });

  it('runs in WAL mode with synchronous = FULL', () => {
    const store = openStore();
    // The durability settings are per connection: look at the store's own.
    const db = (store as unknown as { db: Database.Database }).db;
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
  });

  describe('the write thread', () => {
    const writeQueue = (store: SqliteEventStore) => (store as unknown as { writes: WriteThreadQueue }).writes;

    it('writes on a connection with the same durability: WAL, synchronous = FULL', async () => {
      const store = openStore();
      expect(writeQueue(store)).toBeInstanceOf(WriteThreadQueue);
      await store.append('durable', [event()], 'no_stream');
      expect(writeQueue(store).writeConnectionPragmas()).toEqual({ journalMode: 'wal', synchronous: 2 });
    });

    it('lets this thread go on (timers, reads) while a write waits for the disk or the lock', async () => {
      const store = new SqliteEventStore({ filename, busyTimeoutMs: 3000 });
      open.push(store);
      await store.append('first', [event()], 'no_stream');
      const other = new Database(filename);
      try {
        other.exec('BEGIN IMMEDIATE');
        let settled = false;
        const pending = store.append('first', [event('Second')], 0).finally(() => (settled = true));
        // Written here, the append would hold this thread in BEGIN IMMEDIATE until the lock came free.
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(settled).toBe(false);
        expect(await store.readAll()).toHaveLength(1);
        other.exec('COMMIT');
        await expect(pending).resolves.toEqual({ nextRevision: 1, position: 2 });
      } finally {
        other.close();
      }
    });

    it('lets a read of a stream see the writes to it this instance issued before, once they are committed', async () => {
      const store = new SqliteEventStore({ filename, busyTimeoutMs: 3000 });
      open.push(store);
      await store.append('record', [event('Created')], 'no_stream');
      const other = new Database(filename);
      try {
        other.exec('BEGIN IMMEDIATE');
        const appended = store.append('record', [event('OcrCompleted')], 0);
        let read: StoredEvent[] | undefined;
        const reading = store.readStream('record').then((events) => (read = events));
        const revision = store.streamRevision('record');
        expect(await store.readStream('elsewhere')).toEqual([]);
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect(read).toBeUndefined();
        other.exec('COMMIT');
        await appended;
        expect((await reading).map((e) => e.type)).toEqual(['Created', 'OcrCompleted']);
        expect(await revision).toBe(1);
      } finally {
        other.close();
      }
    });

    it('keeps the process alive while it has writes to do or is closing, and not when idle', async () => {
      // A process of its own, loading the sources as the write thread's entry does.
      const script = `
        const { join } = require('node:path');
        const root = ${JSON.stringify(join(__dirname, '..', '..', '..', '..'))};
        const ts = require(require.resolve('typescript', { paths: [root] }));
        require(require.resolve('tsconfig-paths', { paths: [root] })).register({ baseUrl: root, paths: require(join(root, 'tsconfig.json')).compilerOptions.paths });
        require.extensions['.ts'] = (module, filename) => module._compile(ts.transpileModule(require('node:fs').readFileSync(filename, 'utf8'), { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true } }).outputText, filename);
        const { SqliteEventStore } = require(join(root, 'libs/event-store/src/sqlite/sqlite-event-store.ts'));
        const store = new SqliteEventStore({ filename: process.argv[1] });
        const event = { type: 'T', data: {}, metadata: {} };
        store.append('not-awaited', [event], 'no_stream').then(async () => {
          await store.append('awaited', [event], 'no_stream');
          await store.close();
          console.log('closed');
          // Never closed, idle: must not keep the process alive.
          const open = new SqliteEventStore({ filename: process.argv[1] });
          await open.append('left-open', [event], 'no_stream');
          console.log('idle');
        });`;
      const { stdout } = await promisify(execFile)(process.execPath, ['-e', script, filename], { timeout: 25_000 });
      expect(stdout.trim().split('\n')).toEqual(['closed', 'idle']);
      const reader = openStore();
      expect((await reader.readAll()).map((e) => e.stream)).toEqual(['not-awaited', 'awaited', 'left-open']);
    });

    it('rebuilds the revision errors as themselves, with their details', async () => {
      const store = openStore();
      await store.append('s', [event()], 'no_stream');
      await store.tombstoneStream('gone');
      const wrong = await store.append('s', [event()], 5).catch((e: unknown) => e);
      expect(wrong).toBeInstanceOf(WrongExpectedRevisionError);
      expect(wrong).toMatchObject({ stream: 's', expected: 5, actual: 0 });
      await expect(store.append('gone', [event()], 'any')).rejects.toBeInstanceOf(StreamDeletedError);
    });

    it('fails the writes it held when the thread dies, and starts another for the next write', async () => {
      const store = openStore();
      await store.append('s', [event()], 'no_stream');
      const worker = (writeQueue(store) as unknown as { worker: { terminate(): Promise<number> } }).worker;
      const lost = store.append('s', [event()], 0);
      await worker.terminate();
      await expect(lost).rejects.toThrow(/write thread exited/);
      expect(await store.append('s', [event('After')], 'any')).toMatchObject({ position: expect.any(Number) });
      expect((await store.readStream('s')).map((e) => e.type)).toContain('After');
    });
  });

  it('numbers positions from 1 without gaps, even when appends of a batch fail', async () => {
    const store = openStore();
    await store.append('s-a', [event()], 'no_stream');
    const duplicateId = randomUUID();
    await store.append('s-dup', [event('X', {}, duplicateId)], 'no_stream');
    const before = store.stats();

    const outcomes = await Promise.allSettled([
      store.append('s-a', [event('Ok1')], 0),
      store.append('s-a', [event('Stale')], 0),
      // The second event collides with an existing id: the whole append must be undone.
      store.append('s-b', [event('First'), event('Clash', {}, duplicateId), event('Third')], 'no_stream'),
      store.append('s-c', [event('Ok2'), event('Ok3')], 'no_stream'),
    ]);

    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toBeInstanceOf(WrongExpectedRevisionError);
    expect(String((outcomes[2] as PromiseRejectedResult).reason)).toMatch(/UNIQUE/);
    expect(store.stats().transactions - before.transactions).toBe(1);

    const all = await store.readAll();
    expect(all.map((e) => e.position)).toEqual([1, 2, 3, 4, 5]);
    expect(all.map((e) => e.type)).toEqual(['TestEvent', 'X', 'Ok1', 'Ok2', 'Ok3']);
    expect(await store.readStream('s-b')).toEqual([]);
    expect(await store.headPosition()).toBe(5);
  });

  it('groups concurrent appends into few transactions', async () => {
    const store = openStore();
    const before = store.stats();
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => store.append(`group-${i}`, [event('E', { i })], 'no_stream')));
    const after = store.stats();
    expect(after.transactions - before.transactions).toBeLessThanOrEqual(2);
    expect(after.operations - before.operations).toBe(100);
    expect(after.events - before.events).toBe(100);
    expect(results.map((r) => r.position).sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  });

  it('caps a batch at maxBatchSize and still commits everything', async () => {
    const store = new SqliteEventStore({ filename, maxBatchSize: 10 });
    open.push(store);
    await Promise.all(Array.from({ length: 35 }, (_, i) => store.append(`cap-${i}`, [event()], 'no_stream')));
    expect(store.stats().transactions).toBe(4);
    expect(await store.headPosition()).toBe(35);
  });

  it('creates the directory of the file', async () => {
    const store = new SqliteEventStore({ filename: join(dir, 'nested', 'deeper', 'events.db') });
    open.push(store);
    expect(await store.headPosition()).toBe(0);
  });

  it('runs queued writes in order: an append may expect the revision of one not yet committed', async () => {
    const store = openStore();
    const results = await Promise.all([
      store.append('pipelined', [event('A')], 'no_stream'),
      store.append('pipelined', [event('B')], 0),
      store.append('pipelined', [event('C'), event('D')], 1),
    ]);
    expect(results.map((r) => r.nextRevision)).toEqual([0, 1, 3]);
    expect((await store.readStream('pipelined')).map((e) => e.type)).toEqual(['A', 'B', 'C', 'D']);
  });

  it('keeps the data across close and reopen, and continues the positions', async () => {
    const first = new SqliteEventStore({ filename });
    await first.append('durable', [event('A', { text: 'é' }), event('B')], 'no_stream');
    await first.deleteStream('deleted');
    await first.append('gone', [event()], 'no_stream');
    await first.tombstoneStream('gone');
    const written = await first.readAll();
    await first.close();

    const second = openStore();
    expect(await second.readAll()).toEqual(written);
    expect(await second.streamRevision('durable')).toBe(1);
    await expect(second.append('gone', [event()], 'any')).rejects.toThrow(/deleted/);
    const next = await second.append('durable', [event('C')], 1);
    expect(next).toEqual({ nextRevision: 2, position: 4 });
  });

  it('commits the appends still queued when closed, then refuses writes', async () => {
    const store = new SqliteEventStore({ filename });
    const pending = store.append('late', [event()], 'no_stream');
    await store.close();
    await expect(pending).resolves.toEqual({ nextRevision: 0, position: 1 });
    await expect(store.append('late', [event()], 0)).rejects.toThrow(/closed/);
    await expect(store.readAll()).rejects.toThrow(/closed/);

    const reopened = openStore();
    expect(await reopened.streamRevision('late')).toBe(0);
  });

  it('closes its live subscriptions on close()', async () => {
    const store = new SqliteEventStore({ filename });
    const subscription = store.subscribeAll(() => undefined);
    await store.close();
    await expect(subscription.done).resolves.toBeUndefined();
  });

  it('lets a subscription on one instance see appends made through another (another process)', async () => {
    const reader = openStore({ pollIntervalMs: 20 });
    const writer = openStore();
    await writer.append('other-process', [event('Before')], 'no_stream');

    const received: StoredEvent[] = [];
    const subscription = reader.subscribeAll((e) => {
      received.push(e);
    });
    await waitFor(() => received.length === 1);
    for (let i = 0; i < 3; i++) await writer.append('other-process', [event('Live', { i })], i);
    await waitFor(() => received.length === 4);
    await subscription.close();
    expect(received.map((e) => e.position)).toEqual([1, 2, 3, 4]);
    expect(received.map((e) => e.revision)).toEqual([0, 1, 2, 3]);
  });

  it('checks revisions across instances on the same file: exactly one concurrent writer wins', async () => {
    const a = openStore();
    const b = openStore();
    await a.append('contended', [event()], 'no_stream');
    const outcomes = await Promise.allSettled([a.append('contended', [event('FromA')], 0), b.append('contended', [event('FromB')], 0)]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    expect(await b.readStream('contended')).toHaveLength(2);
    expect((await a.readAll()).map((e) => e.position)).toEqual([1, 2]);
  });

  it('fails the whole batch when the write lock cannot be had, leaving no gap', async () => {
    const store = new SqliteEventStore({ filename, busyTimeoutMs: 50 });
    open.push(store);
    await store.append('locked', [event()], 'no_stream');
    const other = new Database(filename);
    try {
      other.exec('BEGIN IMMEDIATE');
      const outcomes = await Promise.allSettled([store.append('locked', [event()], 0), store.append('elsewhere', [event()], 'no_stream')]);
      expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
      expect(String((outcomes[0] as PromiseRejectedResult).reason)).toMatch(/locked|busy/i);
      other.exec('ROLLBACK');
    } finally {
      other.close();
    }
    expect(await store.append('locked', [event()], 0)).toEqual({ nextRevision: 1, position: 2 });
  });

  it("treats a soft-deleted stream as absent: 'no_stream' revives it, a stale revision does not", async () => {
    const store = openStore();
    await store.append('revived', [event(), event()], 'no_stream');
    await store.deleteStream('revived', 1);
    await expect(store.append('revived', [event()], 1)).rejects.toBeInstanceOf(WrongExpectedRevisionError);
    await expect(store.append('revived', [event()], 'stream_exists')).rejects.toBeInstanceOf(WrongExpectedRevisionError);
    expect(await store.append('revived', [event('Again')], 'no_stream')).toEqual({ nextRevision: 2, position: 3 });
    expect((await store.readStream('revived')).map((e) => e.type)).toEqual(['Again']);
    // readAll is the log: it keeps the events of deleted streams.
    expect(await store.readAll()).toHaveLength(3);
  });

  it('rejects invalid input before queueing it', async () => {
    const store = openStore();
    await expect(store.append('s', [], 'any')).rejects.toThrow(TypeError);
    await expect(store.append('', [event()], 'any')).rejects.toThrow(TypeError);
    await expect(store.append('s', [event()], -1)).rejects.toThrow(TypeError);
    await expect(store.append('s', [event()], 'latest' as never)).rejects.toThrow(TypeError);
    await expect(store.append('s', [{ ...event(), type: '' }], 'any')).rejects.toThrow(TypeError);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expect(store.append('s', [event('Cyclic', cyclic)], 'any')).rejects.toThrow(TypeError);
    await expect(store.readStream('s', { maxCount: -1 })).rejects.toThrow(RangeError);
    expect(store.stats().operations).toBe(0);
  });
});
