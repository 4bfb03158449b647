/**
 * Append throughput of the embedded event store against raw SQLite, at the same durability
 * (WAL + synchronous = FULL, same schema). Prints one JSON line.
 *
 *   npm run bench:append            (BENCH_SECONDS=3 by default, per measurement)
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from '@medrec/sqlite';
import { NewEvent, SqliteEventStore } from '@medrec/event-store';
import { applyPragmas, migrate } from '@medrec/event-store/sqlite/sqlite-schema';
import { uuidv7 } from '@medrec/event-store/sqlite/uuid-v7';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const CONCURRENT_WRITERS = 50;
const STREAMS_FOR_SINGLE_WRITER = 10;
const WARMUP_APPENDS = 300;

function sampleEvent(i: number): NewEvent {
  return {
    type: 'RecordAccessed',
    data: {
      recordId: randomUUID(),
      version: 1,
      purposeOfUse: 'TREATMENT',
      // Stands in for an encrypted PHI field (base64 ciphertext).
      note: 'q'.repeat(160) + i,
    },
    metadata: {
      actor: 'user-42',
      role: 'clinician',
      purpose: 'TREATMENT',
      correlationId: randomUUID(),
      causationId: randomUUID(),
      occurredAt: new Date().toISOString(),
      schemaVersion: 1,
    },
  };
}

function tempFile(): { filename: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'medrec-bench-append-'));
  return { filename: join(dir, 'events.db'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

interface Measured {
  count: number;
  seconds: number;
}

/** A benchmark subject that can run repeatedly for a slice of time on its own open file. */
interface Runner {
  runFor(ms: number): Promise<number>;
  close(): Promise<void>;
}

/** (a) Raw better-sqlite3: one INSERT per autocommit transaction, same table, row shape and ids. */
function rawRunner(): Runner {
  const { filename, remove } = tempFile();
  const db = new Database(filename);
  applyPragmas(db, { busyTimeoutMs: 5000 });
  migrate(db);
  const insert = db.prepare('INSERT INTO events (id, stream, revision, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const revisions = new Array<number>(STREAMS_FOR_SINGLE_WRITER).fill(-1);
  let i = 0;
  const insertOne = () => {
    const e = sampleEvent(i);
    const s = i % STREAMS_FOR_SINGLE_WRITER;
    insert.run(uuidv7(), `raw-${s}`, ++revisions[s], e.type, JSON.stringify(e.data), JSON.stringify(e.metadata), new Date().toISOString());
    i++;
  };
  for (let w = 0; w < WARMUP_APPENDS; w++) insertOne();
  return {
    async runFor(ms) {
      const end = performance.now() + ms;
      let count = 0;
      while (performance.now() < end) {
        insertOne();
        count++;
      }
      return count;
    },
    async close() {
      db.close();
      remove();
    },
  };
}

/** (b) One writer awaiting each single-event append, sequential revisions on a few streams. */
async function singleWriterRunner(): Promise<Runner> {
  const { filename, remove } = tempFile();
  const store = new SqliteEventStore({ filename });
  const revisions = new Array<number>(STREAMS_FOR_SINGLE_WRITER).fill(-1);
  let i = 0;
  const appendOne = async () => {
    const s = i % STREAMS_FOR_SINGLE_WRITER;
    const expected = revisions[s] < 0 ? 'no_stream' : revisions[s];
    revisions[s] = (await store.append(`single-${s}`, [sampleEvent(i)], expected)).nextRevision;
    i++;
  };
  for (let w = 0; w < WARMUP_APPENDS; w++) await appendOne();
  return {
    async runFor(ms) {
      const end = performance.now() + ms;
      let count = 0;
      while (performance.now() < end) {
        await appendOne();
        count++;
      }
      return count;
    },
    async close() {
      await store.close();
      remove();
    },
  };
}

/**
 * Disk speed on a shared machine drifts by a factor of two within seconds, so (a) and (b) run
 * interleaved in short slices (order alternating each round) and their totals are compared.
 */
async function interleaved(a: Runner, b: Runner): Promise<[Measured, Measured]> {
  const rounds = Math.max(2, Math.round(SECONDS * 4));
  const sliceMs = (SECONDS * 1000) / rounds;
  const totals: [Measured, Measured] = [
    { count: 0, seconds: 0 },
    { count: 0, seconds: 0 },
  ];
  const measure = async (runner: Runner, total: Measured) => {
    const start = performance.now();
    total.count += await runner.runFor(sliceMs);
    total.seconds += (performance.now() - start) / 1000;
  };
  for (let round = 0; round < rounds; round++) {
    if (round % 2 === 0) {
      await measure(a, totals[0]);
      await measure(b, totals[1]);
    } else {
      await measure(b, totals[1]);
      await measure(a, totals[0]);
    }
  }
  return totals;
}

/** (c) Many writers, each appending sequentially to its own stream with its expected revision. */
async function concurrentAppends(): Promise<{ perSecond: number; eventsPerTransaction: number }> {
  const { filename, remove } = tempFile();
  const store = new SqliteEventStore({ filename });
  try {
    let deadline = 0;
    const writer = async (w: number, warmup: boolean): Promise<number> => {
      const stream = `writer-${w}-${warmup ? 'warmup' : 'run'}`;
      let revision: number | 'no_stream' = 'no_stream';
      let count = 0;
      while (warmup ? count < WARMUP_APPENDS / 10 : performance.now() < deadline) {
        revision = (await store.append(stream, [sampleEvent(count)], revision)).nextRevision;
        count++;
      }
      return count;
    };
    const writers = Array.from({ length: CONCURRENT_WRITERS }, (_, w) => w);
    await Promise.all(writers.map((w) => writer(w, true)));

    const before = store.stats();
    const start = performance.now();
    deadline = start + SECONDS * 1000;
    const counts = await Promise.all(writers.map((w) => writer(w, false)));
    const elapsed = (performance.now() - start) / 1000;
    const after = store.stats();
    const total = counts.reduce((a, b) => a + b, 0);
    return { perSecond: total / elapsed, eventsPerTransaction: total / (after.transactions - before.transactions) };
  } finally {
    await store.close();
    remove();
  }
}

async function main(): Promise<void> {
  const rawSubject = rawRunner();
  const singleSubject = await singleWriterRunner();
  let rawMeasured: Measured;
  let singleMeasured: Measured;
  try {
    [rawMeasured, singleMeasured] = await interleaved(rawSubject, singleSubject);
  } finally {
    await rawSubject.close();
    await singleSubject.close();
  }
  const raw = rawMeasured.count / rawMeasured.seconds;
  const single = singleMeasured.count / singleMeasured.seconds;
  const concurrent = await concurrentAppends();
  const round = (n: number) => Math.round(n);
  console.log(
    JSON.stringify({
      bench: 'append',
      rawInsertsPerSec: round(raw),
      singleWriterAppendsPerSec: round(single),
      ratio: Number((single / raw).toFixed(3)),
      concurrentWriters: CONCURRENT_WRITERS,
      concurrentAppendsPerSec: round(concurrent.perSecond),
      concurrentEventsPerTransaction: Number(concurrent.eventsPerTransaction.toFixed(1)),
      seconds: SECONDS,
      durability: 'WAL+FULL',
    }),
  );
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
