import Database from '@medrec/sqlite';
import { randomBytes, randomUUID } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PhiCodec } from '@medrec/application';
import { SqliteKeyStore } from '@medrec/crypto';
import { RECORD_PHI_FIELDS } from '@medrec/domain';
import { EventMetadata, SqliteEventStore } from '@medrec/event-store';
import type { Projection } from './projection';
import { ProjectionRunner } from './projection-runner';
import { ReplayThreadClient } from './replay-thread-client';
import { clearStatementCache, statement } from './statement-cache';
import { seenProjection, titlesProjection, type TitlesEvent } from './testing/titles.projection';

const metadata: EventMetadata = { actor: 'u', role: 'clerk', correlationId: 'c', causationId: 'c', occurredAt: '2026-01-01T00:00:00Z', schemaVersion: 1 };

describe('ProjectionRunner', () => {
  let dir: string;
  let store: SqliteEventStore;
  let keys: SqliteKeyStore;
  let codec: PhiCodec;
  const runners: ProjectionRunner[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'medrec-runner-'));
    store = new SqliteEventStore({ filename: join(dir, 'events.db') });
    keys = new SqliteKeyStore({ file: join(dir, 'keys.db'), masterKey: randomBytes(32) });
    codec = new PhiCodec(keys, RECORD_PHI_FIELDS);
  });

  afterEach(async () => {
    for (const runner of runners.splice(0)) {
      await runner.stop();
      runner.close();
    }
    await store.close();
    await keys.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const runner = (projection: Projection, batchSize = 3) => {
    const r = new ProjectionRunner(store, codec, [projection], { filename: join(dir, 'read.db'), batchSize, rebuildBatchSize: batchSize, pollIntervalMs: 20 });
    runners.push(r);
    return r;
  };

  /** A record-created event with its PHI sealed, as the app appends it. */
  async function createRecord(title: string): Promise<string> {
    const recordId = randomUUID();
    await keys.create(recordId);
    const data = await codec.encode(recordId, { type: 'RecordCreated', data: { recordId, title, mrn: 'M1', patientName: 'P', dateOfBirth: '1970-01-01' } });
    await store.append(`record-${recordId}`, [{ type: 'RecordCreated', data, metadata }], 'no_stream');
    return recordId;
  }

  async function destroyRecord(recordId: string): Promise<void> {
    await keys.destroy(recordId);
    await store.append(`record-${recordId}`, [{ type: 'RecordDestroyed', data: { recordId }, metadata }], 'any');
  }

  /** The read-model files (database, WAL, shared memory) that hold `text`, and the WAL's size. */
  const readModelFiles = (text: string) => {
    const files = ['read.db', 'read.db-wal', 'read.db-shm'].filter((name) => existsSync(join(dir, name)));
    return {
      holding: files.filter((name) => readFileSync(join(dir, name)).includes(text)),
      walBytes: existsSync(join(dir, 'read.db-wal')) ? statSync(join(dir, 'read.db-wal')).size : 0,
    };
  };

  const rows = (r: ProjectionRunner) =>
    r.db.prepare('SELECT * FROM titles ORDER BY position').all() as Array<{ position: number; record_id: string; title: string | null; readable: number }>;

  it('refuses to run without projections (its position would be undefined)', () => {
    expect(() => new ProjectionRunner(store, codec, [], { filename: ':memory:' })).toThrow(RangeError);
  });

  it('applies every event once, with PHI decrypted, in batches, and reports its lag', async () => {
    const ids = [];
    for (let i = 0; i < 7; i++) ids.push(await createRecord(`title ${i}`));
    await store.append('other', [{ type: 'Ignored', data: {}, metadata }], 'any');
    const r = runner(titlesProjection());
    expect(await r.status()).toEqual([{ name: 'titles', position: 0, lag: 8 }]);
    await r.drain();
    expect(rows(r).map((row) => row.title)).toEqual(ids.map((_, i) => `title ${i}`));
    expect(await r.status()).toEqual([{ name: 'titles', position: 8, lag: 0 }]);
  });

  it('answers waitFor once a live runner has applied a later append (read-your-writes)', async () => {
    const r = runner(titlesProjection());
    r.start();
    await createRecord('before');
    const id = await createRecord('after');
    const head = await store.headPosition();
    expect(await r.waitFor(head, 5000)).toBe(true);
    expect(rows(r).at(-1)).toMatchObject({ record_id: id, title: 'after' });
    expect(await r.waitFor(head + 100, 50)).toBe(false);
  });

  it('rolls back a failing batch whole: neither its rows nor its checkpoint are kept', async () => {
    for (const title of ['a', 'b', 'c', 'd', 'boom', 'f']) await createRecord(title);
    const r = runner(titlesProjection({ failOn: 'boom' }));
    await expect(r.drain()).rejects.toThrow('projection bug');
    // The first batch (a, b, c) committed; the second (d, boom, f) left nothing behind.
    expect(rows(r).map((row) => row.title)).toEqual(['a', 'b', 'c']);
    expect(r.position()).toBe(3);
  });

  it('a live runner whose batch fails stays up: it reports the error type, retries, and resumes when the cause is gone', async () => {
    let broken = true;
    const flaky: Projection<TitlesEvent> = {
      ...titlesProjection(),
      apply: (db, event) =>
        broken
          ? (() => {
              throw new TypeError('cannot apply');
            })()
          : titlesProjection().apply(db, event),
    };
    const logged: string[] = [];
    const r = new ProjectionRunner(store, codec, [flaky], { filename: join(dir, 'read.db'), batchSize: 3, pollIntervalMs: 5, log: (m) => logged.push(m) });
    runners.push(r);
    await createRecord('a');
    r.start();
    expect(await r.waitFor(1, 300)).toBe(false);
    expect(r.lastError()).toBe('TypeError');
    expect(logged[0]).toBe('Projections stopped at position 0 (TypeError); retrying (1)');
    expect(logged.join('\n')).not.toContain('cannot apply');
    broken = false;
    expect(await r.waitFor(1, 5000)).toBe(true);
    expect(r.lastError()).toBeNull();
    expect(rows(r).map((row) => row.title)).toEqual(['a']);
  });

  it('projects a crypto-shredded record without its PHI, as a rebuild after destruction sees it', async () => {
    const id = await createRecord('secret');
    await keys.destroy(id);
    const r = runner(titlesProjection());
    await r.drain();
    expect(rows(r)).toEqual([{ position: 1, record_id: id, title: null, readable: 0 }]);
  });

  it('drains and rebuilds in batches of rebuildBatchSize, runs live in batches of batchSize', async () => {
    for (let i = 0; i < 10; i++) await createRecord(`t${i}`);
    const r = new ProjectionRunner(store, codec, [titlesProjection()], {
      filename: join(dir, 'read.db'),
      batchSize: 2,
      rebuildBatchSize: 4,
      pollIntervalMs: 20,
    });
    runners.push(r);
    const read = jest.spyOn(store, 'readAll');
    await r.drain();
    expect(read.mock.calls.map(([options]) => options)).toEqual([
      { fromPosition: 0, maxCount: 4 },
      { fromPosition: 4, maxCount: 4 },
      { fromPosition: 8, maxCount: 4 },
      { fromPosition: 10, maxCount: 4 },
    ]);
    await r.rebuild();
    expect(rows(r).map((row) => row.title)).toEqual(Array.from({ length: 10 }, (_, i) => `t${i}`));
    read.mockClear();
    await createRecord('live 1');
    await createRecord('live 2');
    await createRecord('live 3');
    r.start();
    expect(await r.catchUp()).toBe(true);
    // Live batches of batchSize; a full one means more is waiting: the next is replay-sized.
    expect(read.mock.calls[0]).toEqual([{ fromPosition: 10, maxCount: 2 }]);
    expect(read.mock.calls[1]).toEqual([{ fromPosition: 12, maxCount: 4 }]);
    expect(rows(r)).toHaveLength(13);
    read.mockRestore();
    expect(() => new ProjectionRunner(store, codec, [titlesProjection()], { filename: ':memory:', rebuildBatchSize: 0 })).toThrow(RangeError);
  });

  it('decrypts each record once per batch and keeps no key beyond it: a key destroyed between batches is not used', async () => {
    const first = await createRecord('first');
    const second = await createRecord('second');
    const getMany = jest.spyOn(keys, 'getMany');
    const r = runner(titlesProjection(), 10);
    await r.drain();
    // One batch: each record's key asked for once.
    expect(getMany.mock.calls.map(([ids]) => [...ids].sort())).toEqual([[first, second].sort()]);
    getMany.mockRestore();
    await keys.destroy(first);
    await r.rebuild();
    expect(rows(r)).toEqual([
      { position: 1, record_id: first, title: null, readable: 0 },
      { position: 2, record_id: second, title: 'second', readable: 1 },
    ]);
  });

  it('truncates the WAL after a batch that destroys a record: its rows leave the files, not only the tables', async () => {
    const doomed = await createRecord('Wigglesworth referral');
    await createRecord('kept');
    const r = runner(titlesProjection(), 10);
    await r.drain();
    expect(readModelFiles('Wigglesworth')).toEqual({ holding: ['read.db-wal'], walBytes: expect.any(Number) });

    await createRecord('another');
    await r.drain();
    expect(readModelFiles('Wigglesworth').walBytes).toBeGreaterThan(0); // no destruction, no truncation

    await destroyRecord(doomed);
    await r.drain();
    expect(rows(r).map((row) => row.title)).toEqual(['kept', 'another']);
    expect(readModelFiles('Wigglesworth')).toEqual({ holding: [], walBytes: 0 });
  });

  it('a truncation that another reader keeps busy is not waited for, and is done by the live loop once the reader is gone', async () => {
    const doomed = await createRecord('Wigglesworth referral');
    const r = runner(titlesProjection(), 10);
    await r.drain();
    const reader = new Database(join(dir, 'read.db'), { readonly: true });
    reader.exec('BEGIN');
    reader.prepare('SELECT count(*) FROM titles').get();

    await destroyRecord(doomed);
    const pragmas = jest.spyOn(Database.prototype, 'pragma');
    try {
      await r.drain();
      // The busy timeout (5 s) is not waited out: the truncation is tried with none, then it is restored.
      const sources = pragmas.mock.calls.map(([source]) => source);
      const truncate = sources.indexOf('wal_checkpoint(TRUNCATE)');
      expect(sources.slice(truncate - 1, truncate + 2)).toEqual(['busy_timeout = 0', 'wal_checkpoint(TRUNCATE)', 'busy_timeout = 5000']);
    } finally {
      pragmas.mockRestore();
    }
    expect(readModelFiles('Wigglesworth').holding).toContain('read.db-wal');

    reader.exec('COMMIT');
    reader.close();
    r.start();
    for (const until = Date.now() + 5000; readModelFiles('Wigglesworth').walBytes > 0 && Date.now() < until;)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(readModelFiles('Wigglesworth')).toEqual({ holding: [], walBytes: 0 });
  });

  it('caches prepared statements per connection', () => {
    const db = new Database(':memory:');
    const other = new Database(':memory:');
    try {
      db.exec('CREATE TABLE t (a)');
      other.exec('CREATE TABLE t (a)');
      const insert = statement(db, 'INSERT INTO t (a) VALUES (?)');
      expect(statement(db, 'INSERT INTO t (a) VALUES (?)')).toBe(insert);
      expect(statement(other, 'INSERT INTO t (a) VALUES (?)')).not.toBe(insert);
      insert.run(1);
      // Dropped and created again (a rebuild): the cached statement still works.
      db.exec('DROP TABLE t; CREATE TABLE t (a)');
      statement(db, 'INSERT INTO t (a) VALUES (?)').run(2);
      expect(statement<[], { a: number }>(db, 'SELECT a FROM t').all()).toEqual([{ a: 2 }]);
      clearStatementCache(db);
      expect(statement(db, 'INSERT INTO t (a) VALUES (?)')).not.toBe(insert);
    } finally {
      db.close();
      other.close();
    }
  });

  it('rebuilds to the same rows, and two runners on one file never apply a batch twice', async () => {
    for (let i = 0; i < 20; i++) await createRecord(`t${i}`);
    const first = runner(titlesProjection(), 4);
    await first.drain();
    const before = rows(first);
    await first.rebuild();
    expect(rows(first)).toEqual(before);

    // A CLI rebuild while the server's runner is live: both replay the same file concurrently.
    await first.rebuild('titles');
    first.db.exec('DELETE FROM titles; UPDATE projection_checkpoints SET position = 0');
    const second = runner(titlesProjection(), 4);
    await Promise.all([first.drain(), second.drain()]);
    expect(rows(first)).toEqual(before);
    const raw = new Database(join(dir, 'read.db'), { readonly: true });
    expect((raw.prepare('SELECT count(*) AS n FROM titles').get() as { n: number }).n).toBe(20);
    raw.close();
  });

  describe('with a replay thread', () => {
    const threaded = (projectionsExport: string, batchSize = 3, commitEvents?: number) => {
      const r = new ProjectionRunner(store, codec, [titlesProjection()], {
        filename: join(dir, 'read.db'),
        batchSize,
        rebuildBatchSize: batchSize,
        pollIntervalMs: 20,
        replayThread: { projectionsModule: require.resolve('./testing/titles.projection'), projectionsExport, commitEvents, commitMs: 60_000 },
      });
      runners.push(r);
      return r;
    };

    it('replays in the thread to the same rows as in this one, PHI decrypted, shredded records without it', async () => {
      const ids = [];
      for (let i = 0; i < 8; i++) ids.push(await createRecord(`title ${i}`));
      await keys.destroy(ids[5]);
      const inline = runner(titlesProjection());
      await inline.drain();
      const expected = rows(inline);
      inline.close();
      rmSync(join(dir, 'read.db'), { force: true });
      const r = threaded('TITLES');
      await r.drain();
      expect(rows(r)).toEqual(expected);
      expect(rows(r)[5]).toMatchObject({ title: null, readable: 0 });
      expect(await r.status()).toEqual([{ name: 'titles', position: 8, lag: 0 }]);
      await r.rebuild();
      expect(rows(r)).toEqual(expected);
    });

    it("sends the thread what the projections' prepare() answered here, and the metadata and data fields only when a projection reads them", async () => {
      for (const title of ['a', 'b']) await createRecord(title);
      const seen = async (projectionsExport: string, slim: boolean) => {
        const r = new ProjectionRunner(store, codec, [seenProjection(slim)], {
          filename: join(dir, `${projectionsExport}.db`),
          replayThread: { projectionsModule: require.resolve('./testing/titles.projection'), projectionsExport },
        });
        runners.push(r);
        await r.drain();
        return r.db.prepare('SELECT prepared, actor, fields FROM seen ORDER BY position').all();
      };
      const all = 'dateOfBirth mrn patientName recordId title';
      expect(await seen('SEEN', false)).toEqual([
        { prepared: 'A', actor: 'u', fields: all },
        { prepared: 'B', actor: 'u', fields: all },
      ]);
      expect(await seen('SEEN_SLIM', true)).toEqual([
        { prepared: 'A', actor: null, fields: 'title' },
        { prepared: 'B', actor: null, fields: 'title' },
      ]);
    });

    it('a replay in the thread truncates the WAL after a destruction', async () => {
      const doomed = await createRecord('Wigglesworth referral');
      for (let i = 0; i < 5; i++) await createRecord(`kept ${i}`);
      await destroyRecord(doomed);
      const r = threaded('TITLES');
      await r.drain();
      expect(rows(r)).toHaveLength(5);
      expect(readModelFiles('Wigglesworth')).toEqual({ holding: [], walBytes: 0 });
    });

    it('a batch failing in the thread rejects the replay, keeps the batches before it whole and nothing of its own', async () => {
      for (const title of ['a', 'b', 'c', 'd', 'boom', 'f', 'g', 'h']) await createRecord(title);
      const r = threaded('TITLES_FAILING_ON_BOOM', 3, 1); // a commit per batch; the batch after it is already in the thread and refused
      await expect(r.drain()).rejects.toThrow('projection bug');
      expect(rows(r).map((row) => row.title)).toEqual(['a', 'b', 'c']);
      expect(r.position()).toBe(3);
    });

    it('commits batches in groups: a failing batch rolls back its group whole, and the next replay applies it once', async () => {
      const titles = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'boom', 'j'];
      for (const title of titles) await createRecord(title);
      const failing = threaded('TITLES_FAILING_ON_BOOM', 2, 6); // groups of 3 batches: positions 1-6, then 7-12
      await expect(failing.drain()).rejects.toThrow('projection bug');
      expect(rows(failing).map((row) => row.title)).toEqual(titles.slice(0, 6));
      expect(failing.position()).toBe(6);
      failing.close();
      const fixed = threaded('TITLES', 2, 6);
      await fixed.drain();
      expect(rows(fixed).map((row) => [row.position, row.title])).toEqual(titles.map((title, i) => [i + 1, title]));
      expect(fixed.position()).toBe(10);
    });

    it('tells a waiter a position only once its group is committed', async () => {
      for (let i = 0; i < 12; i++) await createRecord(`t${i}`);
      const r = threaded('TITLES', 2, 8);
      const seen: number[] = [];
      const other = new Database(join(dir, 'read.db'), { readonly: true, fileMustExist: false });
      const waits = [2, 8, 9, 12].map((position) =>
        r.waitFor(position, 10_000).then(() => seen.push((other.prepare('SELECT count(*) AS n FROM titles').get() as { n: number }).n)),
      );
      await r.drain();
      await Promise.all(waits);
      other.close();
      // Positions 2 and 8 came with the first group's commit (8 rows), 9 and 12 with the last (12).
      expect(seen).toEqual([8, 8, 12, 12]);
    });

    it('leaves a replay copied into the database file: its WAL checkpointed while the thread applied, the last group before drain() resolves', async () => {
      for (let i = 0; i < 12; i++) await createRecord(`t${i}`);
      const r = threaded('TITLES', 2, 8);
      await r.drain();
      // What the database file holds without its WAL: a copy of the file alone.
      copyFileSync(join(dir, 'read.db'), join(dir, 'file-only.db'));
      const copy = new Database(join(dir, 'file-only.db'), { readonly: true });
      try {
        expect(copy.prepare('SELECT count(*) AS n FROM titles').get()).toEqual({ n: 12 });
      } finally {
        copy.close();
      }
    });

    it('start() far behind catches up in the thread first, then runs live here; a small lag stays here', async () => {
      for (let i = 0; i < 10; i++) await createRecord(`t${i}`);
      const started = jest.spyOn(ReplayThreadClient, 'start');
      const options = { filename: join(dir, 'read.db'), batchSize: 2, rebuildBatchSize: 4, pollIntervalMs: 20, threadCatchUpMinLag: 5 };
      const replayThread = { projectionsModule: require.resolve('./testing/titles.projection'), projectionsExport: 'TITLES' };
      const r = new ProjectionRunner(store, codec, [titlesProjection()], { ...options, replayThread });
      runners.push(r);
      r.start();
      expect(await r.catchUp(10_000)).toBe(true);
      expect(started).toHaveBeenCalledTimes(1);
      await createRecord('live');
      expect(await r.catchUp()).toBe(true);
      expect(rows(r).map((row) => row.title)).toEqual([...Array.from({ length: 10 }, (_, i) => `t${i}`), 'live']);
      await r.stop();
      r.close();
      // Behind by less than the threshold: no thread.
      for (let i = 0; i < 3; i++) await createRecord(`u${i}`);
      const again = new ProjectionRunner(store, codec, [titlesProjection()], { ...options, replayThread });
      runners.push(again);
      again.start();
      expect(await again.catchUp()).toBe(true);
      expect(started).toHaveBeenCalledTimes(1);
      expect(rows(again)).toHaveLength(14);
      started.mockRestore();
    });

    it('stop() during a catch-up in the thread ends it between batches; the next start finishes it', async () => {
      for (let i = 0; i < 40; i++) await createRecord(`t${i}`);
      const options = { filename: join(dir, 'read.db'), batchSize: 2, rebuildBatchSize: 4, pollIntervalMs: 20, threadCatchUpMinLag: 5 };
      // Groups of two batches: a stop between them commits the batches applied, whole.
      const replayThread = {
        projectionsModule: require.resolve('./testing/titles.projection'),
        projectionsExport: 'TITLES',
        commitEvents: 8,
        commitMs: 60_000,
      };
      const r = new ProjectionRunner(store, codec, [titlesProjection()], { ...options, replayThread });
      runners.push(r);
      r.start();
      await r.waitFor(4, 10_000);
      await r.stop();
      const stoppedAt = r.position();
      expect(stoppedAt % 4).toBe(0); // whole batches only
      expect(rows(r)).toHaveLength(stoppedAt);
      r.start();
      expect(await r.catchUp(10_000)).toBe(true);
      expect(rows(r).map((row) => row.title)).toEqual(Array.from({ length: 40 }, (_, i) => `t${i}`));
    });

    it('refuses a projections module without the export, and an in-memory read model', async () => {
      await createRecord('a');
      await expect(threaded('NOTHING').drain()).rejects.toThrow(/exports no NOTHING/);
      expect(
        () =>
          new ProjectionRunner(store, codec, [titlesProjection()], { filename: ':memory:', replayThread: { projectionsModule: 'x', projectionsExport: 'y' } }),
      ).toThrow(RangeError);
    });
  });
});
