import { randomBytes } from 'node:crypto';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KEY_STORE, KeyStore } from '@medrec/crypto';
import { OcrJobRunner } from '@medrec/ingest/jobs/ocr-job-runner';
import { ProjectionRunner } from '@medrec/read-models';
import { PROJECTIONS } from '@medrec/platform';
import { S3rverInstance, startS3rver } from '../support/s3rver';
import { scanForm, scanManifest } from './support/fixtures';
import { ADMIN_PASSWORD, Client, login, purpose, recordForm, startApp, TestApp, usersByRole } from './support/harness';

/**
 * GET /metrics after real work (requests, an upload, refused uploads, OCR of a scan in process),
 * read as Prometheus text; who may read it; and /health/ready's checks, up and down.
 */

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
const METRICS_TOKEN = 'metrics-token-for-tests-0123456789abcdef';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition (format 0.0.4); throws on a line it cannot read. */
function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    // Prometheus reads values as Go's ParseFloat does: NaN in any case (prom-client writes `Nan` for
    // a statistic with no sample yet, e.g. the event-loop lag right after start), ±Inf.
    const value = /^nan$/i.test(m[3]) ? NaN : Number(m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : m[3]);
    if (Number.isNaN(value) && !/^nan$/i.test(m[3])) throw new Error(`not a number: ${line}`);
    samples.push({ name: m[1], labels, value });
  }
  return samples;
}

const find = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
const total = (samples: Sample[], name: string, labels: Record<string, string> = {}) => find(samples, name, labels).reduce((sum, s) => sum + s.value, 0);

describe('metrics and health', () => {
  let t: TestApp;
  let u: Awaited<ReturnType<typeof usersByRole>>;
  let id: string;
  const scan = scanManifest().find((s) => s.file === 'mrn-00519377-progress-note.tif')!;
  const other = scanManifest().find((s) => s.file === 'mrn-00733105-nursing-notes.tif')!;

  beforeAll(async () => {
    t = await startApp(undefined, { MEDREC_OCR_IN_PROCESS: 'true', MEDREC_OCR_WORKERS: '1', MEDREC_MAX_UPLOAD_BYTES: '65536' });
    u = await usersByRole(t.baseUrl);
    const created = await u.clerk.request('POST', '/api/records', { form: scanForm(scan) });
    expect(created.status).toBe(201);
    id = created.body.id;
    expect((await u.clinician.get(`/api/records/${id}`, purpose('treatment'))).status).toBe(200);
    expect((await u.clinician.get('/api/records/00000000-0000-4000-8000-000000000001', purpose('treatment'))).status).toBe(404);
    // Refused: a text file (unsupported-type, by inspection) and a file over the limit (too-large, by multer).
    expect((await u.clerk.request('POST', '/api/records', { form: recordForm({}, Buffer.from('plain text, not a scan')) })).status).toBe(415);
    expect((await u.clerk.request('POST', '/api/records', { form: recordForm({}, Buffer.alloc(70_000, 1)) })).status).toBe(413);
    // OCR of the scan, in process.
    for (const deadline = Date.now() + 60_000; ;) {
      const record = await u.clerk.get(`/api/records/${id}`, purpose('operations'));
      if (record.body.versions[0].ocr.status === 'done') break;
      expect(record.body.versions[0].ocr.status).toBe('pending');
      if (Date.now() > deadline) throw new Error('OCR not done in 60 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    await t.app.get(ProjectionRunner).catchUp(10_000);
  }, 90_000);
  afterAll(() => t?.close());

  it('serves the Prometheus text format with request durations by route template, events, lag, OCR and refusals', async () => {
    const res = await new Client(t.baseUrl).get('/metrics');
    expect(res.status).toBe(200);
    expect(res.contentType).toMatch(/^text\/plain;/);
    expect(res.contentType).toContain('version=0.0.4');
    const text = res.raw.toString('utf8');
    const samples = parsePrometheusText(text);

    expect(find(samples, 'medrec_process_cpu_user_seconds_total')).toHaveLength(1);
    const requests = find(samples, 'medrec_http_request_duration_seconds_count');
    expect(total(samples, 'medrec_http_request_duration_seconds_count', { method: 'GET', route: '/api/records/:id', status: '200' })).toBeGreaterThanOrEqual(2);
    expect(total(samples, 'medrec_http_request_duration_seconds_count', { method: 'GET', route: '/api/records/:id', status: '404' })).toBe(1);
    expect(total(samples, 'medrec_http_request_duration_seconds_count', { method: 'POST', route: '/api/records', status: '201' })).toBe(1);
    expect(total(samples, 'medrec_http_request_duration_seconds_count', { method: 'POST', route: '/api/auth/token', status: '200' })).toBeGreaterThan(0);
    expect(find(samples, 'medrec_http_request_duration_seconds_bucket', { route: '/api/records/:id', le: '+Inf' }).length).toBeGreaterThan(0);
    // Templates only: no concrete id, no MRN, no name anywhere in the labels (or the text).
    for (const s of requests) expect(s.labels.route).toMatch(/^(\/[a-z-]*(\/(:[a-zA-Z]+|[a-z-]+))*|unmatched)$/);
    expect(text).not.toMatch(UUID);
    expect(text).not.toContain(scan.mrn);
    expect(text).not.toContain(scan.patient);

    expect(total(samples, 'medrec_events_appended_total')).toBeGreaterThan(0);
    expect(
      find(samples, 'medrec_projection_lag_events')
        .map((s) => s.labels.projection)
        .sort(),
    ).toEqual(PROJECTIONS.map((p) => p.name).sort());
    expect(find(samples, 'medrec_ocr_queue_depth')).toEqual([{ name: 'medrec_ocr_queue_depth', labels: {}, value: 0 }]);
    expect(total(samples, 'medrec_ocr_pages_recognised_total', { source: 'ocr' })).toBe(scan.pages);
    expect(total(samples, 'medrec_ocr_page_seconds_count')).toBe(scan.pages);
    expect(total(samples, 'medrec_ocr_page_seconds_sum')).toBeGreaterThan(0);
    expect(total(samples, 'medrec_uploads_refused_total', { reason: 'unsupported-type' })).toBe(1);
    expect(total(samples, 'medrec_uploads_refused_total', { reason: 'too-large' })).toBe(1);
  });

  it('counts a pending OCR job in the queue depth', async () => {
    const before = parsePrometheusText((await new Client(t.baseUrl).get('/metrics')).raw.toString());
    expect(total(before, 'medrec_ocr_queue_depth')).toBe(0);
    // No OCR from here on (the later tests need none): the second record's job stays pending.
    await t.app.get(OcrJobRunner).stop();
    const created = await u.clerk.request('POST', '/api/records', { form: scanForm(other) });
    expect(created.status).toBe(201);
    expect(await t.app.get(ProjectionRunner).waitFor(created.body.position, 5_000)).toBe(true);
    const after = parsePrometheusText((await new Client(t.baseUrl).get('/metrics')).raw.toString());
    expect(total(after, 'medrec_ocr_queue_depth')).toBe(1);
  });

  it('answers only to loopback clients that did not come through a proxy when no token is set', async () => {
    const proxied = await new Client(t.baseUrl).get('/metrics', { 'x-forwarded-for': '203.0.113.7' });
    expect(proxied.status).toBe(403);
    expect(proxied.contentType).toMatch(/^application\/problem\+json/);
    expect((await new Client(t.baseUrl).get('/metrics', { forwarded: 'for=203.0.113.7' })).status).toBe(403);
  });

  it('reports every check up on /health/ready, keeping its documented fields', async () => {
    const ready = await new Client(t.baseUrl).get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'ready', position: expect.any(Number), error: {} });
    expect(ready.body.projections.map((p: { name: string }) => p.name).sort()).toEqual(PROJECTIONS.map((p) => p.name).sort());
    expect(ready.body.details).toEqual({
      eventStore: { status: 'up', position: ready.body.position },
      blobStore: { status: 'up' },
      keyStore: { status: 'up' },
      projections: { status: 'up', maxLag: expect.any(Number) },
    });
    expect(ready.body.info).toEqual(ready.body.details);
  });

  it('answers 503 naming the blob store while its root is broken, and stays live', async () => {
    const root = join(t.dataDir, 'blobs');
    const moved = `${root}.moved`;
    renameSync(root, moved);
    writeFileSync(root, 'not a directory');
    try {
      const ready = await new Client(t.baseUrl).get('/health/ready');
      expect(ready.status).toBe(503);
      expect(ready.contentType).toMatch(/^application\/problem\+json/);
      expect(ready.body).toMatchObject({ status: 503, detail: 'Not ready: blobStore' });
      expect(Object.keys(ready.body.error)).toEqual(['blobStore']);
      expect(ready.body.error.blobStore).toEqual({
        status: 'down',
        message: expect.stringMatching(/^The blob store did not answer or cannot take writes \(Error ENOTDIR\)$/),
      });
      expect(ready.body.details).toMatchObject({ eventStore: { status: 'up' }, keyStore: { status: 'up' }, blobStore: { status: 'down' } });
      expect((await new Client(t.baseUrl).get('/health/live')).status).toBe(200);
    } finally {
      rmSync(root);
      renameSync(moved, root);
    }
    expect((await new Client(t.baseUrl).get('/health/ready')).status).toBe(200);
  });
});

describe('metrics behind MEDREC_METRICS_TOKEN, and readiness under MEDREC_READY_MAX_LAG', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp(undefined, { MEDREC_METRICS_TOKEN: METRICS_TOKEN, MEDREC_READY_MAX_LAG: '2' });
  });
  afterAll(() => t?.close());

  it('requires the token, even from loopback', async () => {
    const client = new Client(t.baseUrl);
    const none = await client.get('/metrics');
    expect(none.status).toBe(401);
    expect(none.contentType).toMatch(/^application\/problem\+json/);
    expect((await client.get('/metrics', { authorization: `Bearer ${METRICS_TOKEN}x` })).status).toBe(401);
    // A user's token is not the metrics token.
    const admin = await login(t.baseUrl, 'admin', ADMIN_PASSWORD);
    expect((await admin.get('/metrics')).status).toBe(401);
    const allowed = await client.get('/metrics', { authorization: `Bearer ${METRICS_TOKEN}`, 'x-forwarded-for': '203.0.113.7' });
    expect(allowed.status).toBe(200);
    expect(parsePrometheusText(allowed.raw.toString()).length).toBeGreaterThan(0);
  });

  it('is not ready while a read model lags more events than the limit, and ready again once it catches up', async () => {
    const runner = t.app.get(ProjectionRunner);
    await runner.catchUp(10_000);
    expect((await new Client(t.baseUrl).get('/health/ready')).status).toBe(200);
    await runner.stop();
    try {
      // Creating the users of every role appends events (one each at least) that no read model applies meanwhile.
      await usersByRole(t.baseUrl);
      const ready = await new Client(t.baseUrl).get('/health/ready');
      expect(ready.status).toBe(503);
      expect(ready.body.detail).toBe('Not ready: projections');
      expect(ready.body.error.projections).toMatchObject({ status: 'down', limit: 2, behind: expect.arrayContaining(['search', 'ocr-jobs']) });
      expect(ready.body.error.projections.maxLag).toBeGreaterThan(2);
    } finally {
      runner.start();
    }
    await runner.catchUp(10_000);
    expect((await new Client(t.baseUrl).get('/health/ready')).status).toBe(200);
  });

  it('answers 503 naming the key store once it no longer answers (last: the app stays broken)', async () => {
    await t.app.get<KeyStore>(KEY_STORE).close();
    const ready = await new Client(t.baseUrl).get('/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body.detail).toBe('Not ready: keyStore');
    expect(ready.body.error.keyStore).toEqual({ status: 'down', message: expect.stringMatching(/^The key store did not answer \(/) });
    expect((await new Client(t.baseUrl).get('/health/live')).status).toBe(200);
  });
});

describe('readiness on MinIO', () => {
  let s3: S3rverInstance;
  let t: TestApp;

  beforeAll(async () => {
    s3 = await startS3rver();
    t = await startApp(undefined, {
      BLOB_STORE: 'minio',
      MINIO_ENDPOINT: s3.endPoint,
      MINIO_PORT: String(s3.port),
      MINIO_ACCESS_KEY: s3.accessKey,
      MINIO_SECRET_KEY: s3.secretKey,
      MINIO_BUCKET: s3.bucket,
      MEDREC_MASTER_KEY: randomBytes(32).toString('base64'),
    });
  });
  afterAll(async () => {
    await t?.close();
    await s3?.stop();
  });

  it('answers 503 naming the blob store once the object store is gone, and stays live', async () => {
    expect((await new Client(t.baseUrl).get('/health/ready')).body.details.blobStore).toEqual({ status: 'up' });
    await s3.stop();
    const ready = await new Client(t.baseUrl).get('/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body.detail).toBe('Not ready: blobStore');
    expect(ready.body.error.blobStore.message).toMatch(/^The blob store did not answer or cannot take writes \(MinioBlobStoreError/);
    // Our own sentence and the error's type: not the client's message with the bucket and address.
    expect(JSON.stringify(ready.body)).not.toContain(s3.bucket);
    expect((await new Client(t.baseUrl).get('/health/live')).status).toBe(200);
  });
});
