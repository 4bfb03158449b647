import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StoredEvent } from '@medrec/event-store';
import { EventStoreDbEventStore } from '@medrec/event-store/eventstoredb';
import { startFakeEventStoreDb, type FakeEventStoreDb } from '../support/fake-eventstoredb';
import { startS3rver, type S3rverInstance } from '../support/s3rver';
import { startServerProcess, type ServerProcess } from '../support/server-process';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process';
import { scanForm, scanManifest, SCANS } from './support/fixtures';
import { ADMIN_PASSWORD, Client, GENEROUS_SIGN_IN_LIMITS, login, PASSWORD, purpose, recordForm, TINY_PNG, usersByRole } from './support/harness';

/**
 * Short enough that the job of a killed worker goes to another within the test. Longer jobs (up to
 * 11 s measured for a two-page scan with the machine under load) keep theirs by renewing it.
 */
const LEASE_SECONDS = 10;
const TINY_CHARTS = 10;

const versionKey = (data: Record<string, unknown>): string => `${String(data.recordId)}/v${String(data.version)}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Issue 14's deployment: two API processes and three OCR worker processes (the built apps) over
 * one event store (the EventStoreDB adapter, over gRPC to the test server) and one S3 store
 * (s3rver, honouring If-None-Match as current MinIO does) holding the blobs and, in a bucket of
 * their own, the data keys (KEY_STORE=minio).
 */
describe('two API processes and three OCR workers, one deployment', () => {
  let esdb: FakeEventStoreDb;
  let s3: S3rverInstance;
  let events: EventStoreDbEventStore;
  const dirs: string[] = [];
  const apis: ServerProcess[] = [];
  const workers: WorkerProcess[] = [];

  const dir = (name: string) => {
    const path = mkdtempSync(join(tmpdir(), `medrec-multi-${name}-`));
    dirs.push(path);
    return path;
  };

  beforeAll(async () => {
    [esdb, s3] = await Promise.all([startFakeEventStoreDb(), startS3rver({ bucket: 'medrec', conditionalWrites: true })]);
    events = new EventStoreDbEventStore(esdb.connectionString);
    const shared = {
      EVENT_STORE: 'eventstoredb',
      EVENTSTORE_CONNECTION_STRING: esdb.connectionString,
      BLOB_STORE: 'minio',
      MINIO_ENDPOINT: s3.endPoint,
      MINIO_PORT: String(s3.port),
      MINIO_ACCESS_KEY: s3.accessKey,
      MINIO_SECRET_KEY: s3.secretKey,
      MINIO_BUCKET: s3.bucket,
      KEY_STORE: 'minio',
      MINIO_KEY_BUCKET: 'medrec-keys',
      MEDREC_MASTER_KEY: randomBytes(32).toString('base64'),
      MEDREC_TOKEN_SECRET: randomBytes(32).toString('base64'),
    };
    const apiEnv = { ...shared, ...GENEROUS_SIGN_IN_LIMITS, MEDREC_ADMIN_PASSWORD: ADMIN_PASSWORD, MEDREC_OCR_IN_PROCESS: 'false' };
    // Started at the same time, as an orchestrator starts replicas: both see an empty users directory.
    apis.push(...(await startedAll([startServerProcess(dir('api-a'), apiEnv), startServerProcess(dir('api-b'), apiEnv)])));
    const workerEnv = { ...shared, MEDREC_OCR_WORKERS: '1', MEDREC_OCR_CONCURRENCY: '1', MEDREC_OCR_LEASE_SECONDS: String(LEASE_SECONDS) };
    workers.push(...(await startedAll(['w1', 'w2', 'w3'].map((name) => startWorkerProcess(dir(name), workerEnv)))));
  }, 60_000);

  afterAll(async () => {
    await Promise.all([...apis, ...workers].map((process) => process.stop()));
    await events?.close();
    await esdb?.stop();
    await s3?.stop();
    for (const path of dirs) rmSync(path, { recursive: true, force: true });
  });

  it('OCRs each of 30 pages exactly once, also when a worker is killed holding a job; B reads what A wrote', async () => {
    const [a, b] = apis;
    const u = await usersByRole(a.baseUrl);
    // The clerk signs in through B as well: B reads the users directory that A wrote.
    const clerkB = await eventually(() => login(b.baseUrl, 'clerk1', PASSWORD));
    const clerks = [u.clerk, clerkB];

    // 16 fixture scans (20 pages) first, so that the workers are busy with real OCR, then 10 one-page charts.
    const victim = workers[0];
    const victimNode = readFileSync(join(dirs[2], 'node.id'), 'utf8').trim();
    const uploads: Array<{ id: string; via: 'A' | 'B'; file: Buffer }> = [];
    const upload = async (form: FormData, file: Buffer) => {
      const i = uploads.length;
      uploads.push({ id: '', via: i % 2 === 0 ? 'A' : 'B', file });
      const res = await clerks[i % 2].request('POST', '/api/records', { form });
      expect(res.status).toBe(201);
      uploads[i].id = res.body.id;
    };
    const manifest = scanManifest();
    for (const scan of manifest) await upload(scanForm(scan), readFileSync(join(SCANS, scan.file)));

    // kill -9 the first worker while it holds a claim on a job not finished yet: frozen (SIGSTOP) the moment a
    // claim of it shows, then killed if the job is still open once the writes it had in flight have landed.
    const openClaimsOf = async (node: string) => {
      const log = await events.readAll();
      const ended = new Set(log.filter((e) => e.type === 'OcrCompleted' || e.type === 'OcrFailed').map((e) => versionKey(e.data)));
      return log.filter((e) => e.type === 'OcrJobClaimed' && e.data.nodeId === node && !ended.has(versionKey(e.data))).map((e) => versionKey(e.data));
    };
    const openClaimOf = async (node: string) => (await openClaimsOf(node))[0] ?? null;
    const held = await eventually(
      async () => {
        if (!(await openClaimOf(victimNode))) throw new Error('the first worker holds no job yet');
        victim.child.kill('SIGSTOP');
        await sleep(300);
        const stillOpen = await openClaimOf(victimNode);
        if (!stillOpen) {
          victim.child.kill('SIGCONT');
          throw new Error('the first worker finished its job before it was frozen');
        }
        await victim.kill9();
        return stillOpen;
      },
      60_000,
      50,
    );
    // A worker claims its next job while it still recognises the current one: every job it held when it died is taken over.
    const orphans = new Set(await openClaimsOf(victimNode));

    for (let i = 0; i < TINY_CHARTS; i++) {
      const file = Buffer.concat([TINY_PNG, Buffer.from(`multi-process-${i}`)]);
      await upload(recordForm({ mrn: `0090${String(i).padStart(4, '0')}`, title: `Chart ${i}` }, file, 'chart.png'), file);
    }
    const pages = manifest.reduce((sum, scan) => sum + scan.pages, 0) + TINY_CHARTS;
    expect(pages).toBe(30);

    // Every version ends with exactly one OCR result, and it is OcrCompleted.
    const log = await eventually(
      async () => {
        const all = await events.readAll();
        const ended = all.filter((e) => e.type === 'OcrCompleted' || e.type === 'OcrFailed');
        if (new Set(ended.map((e) => versionKey(e.data))).size < uploads.length) throw new Error(`${ended.length} of ${uploads.length} versions OCR'd`);
        return all;
      },
      90_000,
      250,
    );
    await sleep(1_000); // a second OCR of any version would be appended by now
    const final = await events.readAll();
    const completed = count(final.filter((e) => e.type === 'OcrCompleted').map((e) => versionKey(e.data)));
    expect(final.filter((e) => e.type === 'OcrFailed')).toEqual([]);
    expect([...completed.keys()].sort()).toEqual(uploads.map((x) => `${x.id}/v1`).sort());
    expect([...completed.values()].every((n) => n === 1)).toBe(true);
    expect(final.filter((e) => e.type === 'OcrCompleted').reduce((sum, e) => sum + (e.data.pages as number), 0)).toBe(30);

    // The killed worker's job: claimed again by another node once its lease ran out, and finished there.
    const claims = log.filter((e) => e.type === 'OcrJobClaimed' && versionKey(e.data) === held);
    expect(claims[0].data.nodeId).toBe(victimNode);
    // Every other job claimed once: the living workers renewed their leases, however long the OCR took.
    const claimed = count(log.filter((e) => e.type === 'OcrJobClaimed').map((e) => versionKey(e.data)));
    expect([...claimed].filter(([key, n]) => !orphans.has(key) && n > 1)).toEqual([]);
    for (const orphan of orphans) expect(claimed.get(orphan)).toBe(2);
    const takeover = claims.find((e) => e.data.nodeId !== victimNode)!;
    expect(takeover).toBeDefined();
    expect(Date.parse(takeover.data.claimedAt as string)).toBeGreaterThanOrEqual(Date.parse(claims[0].data.leaseUntil as string));
    const finisher = final.find((e) => e.type === 'OcrCompleted' && versionKey(e.data) === held) as StoredEvent;
    expect(finisher.metadata.actor).not.toContain(victimNode);
    // The two living workers did all the rest between them.
    const nodesDone = new Set(final.filter((e) => e.type === 'OcrCompleted').map((e) => e.metadata.actor));
    expect(nodesDone.size).toBeGreaterThanOrEqual(2);

    // A record written through A, read through B: its PHI and content (the shared key store), and at once
    // in B's read models with ?after=<A's position>.
    const file = Buffer.concat([TINY_PNG, Buffer.from('written through A')]);
    const created = await u.clerk.request('POST', '/api/records', {
      form: recordForm({ mrn: '00777001', patientName: 'Ada Crossprocess', title: 'Written through A' }, file, 'a.png'),
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const after = `after=${created.body.position}`;
    const clinicianB = await eventually(() => login(b.baseUrl, 'clinician1', PASSWORD));
    const found = await clinicianB.get(`/api/search?mrn=00777001&${after}`, purpose('treatment'));
    expect(found.status).toBe(200);
    expect(found.body.results).toEqual([expect.objectContaining({ recordId: id, patientName: 'Ada Crossprocess', title: 'Written through A' })]);
    const himB = await eventually(() => login(b.baseUrl, 'him1', PASSWORD));
    const history = await himB.get(`/api/records/${id}/history?${after}`, purpose('operations'));
    expect(history.status).toBe(200);
    expect(history.body).toMatchObject({ id, timeline: expect.arrayContaining([expect.objectContaining({ type: 'created', actor: 'clerk1' })]) });
    const record = await clinicianB.get(`/api/records/${id}`, purpose('treatment'));
    expect(record.body).toMatchObject({ id, patientName: 'Ada Crossprocess', mrn: '00777001' });
    const content = await clinicianB.get(`/api/records/${id}/versions/1/content`, purpose('treatment'));
    expect(content.status).toBe(200);
    expect(content.raw.equals(file)).toBe(true);

    // And the other way round: uploads of B read through A, a scan's text (written by a worker) through both.
    const scanViaB = uploads.find((x, i) => x.via === 'B' && i < manifest.length)!;
    const clinicianA = u.clinician;
    expect((await clinicianA.get(`/api/records/${scanViaB.id}/versions/1/content`, purpose('treatment'))).raw.equals(scanViaB.file)).toBe(true);
    const scanIndex = uploads.indexOf(scanViaB);
    const expectedText = readFileSync(join(SCANS, manifest[scanIndex].file.replace(/\.\w+$/, '.txt')), 'utf8');
    const word = expectedText.match(/[A-Z]{6,}/)![0];
    for (const client of [clinicianA, clinicianB]) {
      const text = await client.get(`/api/records/${scanViaB.id}/versions/1/text`, purpose('treatment'));
      expect(text.status).toBe(200);
      expect(JSON.stringify(text.body).toUpperCase()).toContain(word);
    }
    const position = (await events.headPosition()).toString();
    const byText = await clinicianB.get(`/api/search?q=${word.toLowerCase()}&mrn=${manifest[scanIndex].mrn}&after=${position}`, purpose('treatment'));
    expect(byText.status).toBe(200);
    expect(byText.body.results.map((r: { recordId: string }) => r.recordId)).toContain(scanViaB.id);

    // A token signed out through A is refused through B (B re-reads the revocations within MEDREC_USER_REFRESH_MS).
    const token = (await new Client(a.baseUrl).post('/api/auth/token', { username: 'clinician1', password: PASSWORD })).body.accessToken as string;
    const [viaA, viaB] = [new Client(a.baseUrl, token), new Client(b.baseUrl, token)];
    expect((await viaB.get(`/api/records/${id}`, purpose('treatment'))).status).toBe(200);
    expect((await viaA.post('/api/auth/sign-out')).status).toBe(204);
    await eventually(async () => expect((await viaB.get(`/api/records/${id}`, purpose('treatment'))).status).toBe(401), 3_000);

    for (const process of [...apis, ...workers.slice(1)]) expect(process.child.exitCode).toBeNull();
  }, 170_000);
});

/** All of them, or the first failure once every one of them has started or failed (those started are stopped). */
async function startedAll<T extends { stop(): Promise<void> }>(starting: Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(starting);
  const failed = results.find((result) => result.status === 'rejected');
  if (!failed) return results.map((result) => (result as PromiseFulfilledResult<T>).value);
  for (const result of results) if (result.status === 'fulfilled') await result.value.stop();
  throw failed.reason;
}

function count(keys: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
  return counts;
}

/** Retries `attempt` until it resolves or `timeoutMs` passes (then its last error). */
async function eventually<T>(attempt: () => Promise<T>, timeoutMs = 5_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(intervalMs);
    }
  }
}
