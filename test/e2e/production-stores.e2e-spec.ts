import { randomBytes } from 'node:crypto';
import { Client as S3Client } from 'minio';
import { EXIT_OK } from '../../apps/cli/src/cli-error';
import { runCli } from '../../apps/cli/src/program';
import { testIo } from '../../apps/cli/src/testing/test-io';
import { startFakeEventStoreDb } from '../support/fake-eventstoredb';
import { startS3rver } from '../support/s3rver';
import { approveAndDestroy, purpose, recordForm, startApp, TestApp, TINY_PNG, usersByRole } from './support/harness';

/**
 * The same app configured for production stores: EVENT_STORE=eventstoredb over real gRPC against
 * the EventStoreDB test server, BLOB_STORE=minio over HTTP against an S3-compatible server on
 * loopback (or the real ones when EVENTSTORE_CONNECTION_STRING / MINIO_ENDPOINT are set).
 */
describe('the app on EventStoreDB and MinIO', () => {
  let esdb: { connectionString: string; stop(): Promise<void> } | undefined;
  let s3: Awaited<ReturnType<typeof startS3rver>> | undefined;
  let t: TestApp;

  beforeAll(async () => {
    const connectionString = process.env.EVENTSTORE_CONNECTION_STRING ?? (esdb = await startFakeEventStoreDb()).connectionString;
    const minio = process.env.MINIO_ENDPOINT
      ? {}
      : await (async () => {
          s3 = await startS3rver();
          return {
            MINIO_ENDPOINT: s3.endPoint,
            MINIO_PORT: String(s3.port),
            MINIO_ACCESS_KEY: s3.accessKey,
            MINIO_SECRET_KEY: s3.secretKey,
            MINIO_BUCKET: s3.bucket,
          };
        })();
    t = await startApp(undefined, {
      EVENT_STORE: 'eventstoredb',
      EVENTSTORE_CONNECTION_STRING: connectionString,
      BLOB_STORE: 'minio',
      ...minio,
      MEDREC_MASTER_KEY: randomBytes(32).toString('base64'),
    });
  });
  afterAll(async () => {
    await t?.close();
    await esdb?.stop();
    await s3?.stop();
  });

  it('runs a record through creation, audited reads, amendment, hold and destruction with an intact chain', async () => {
    const u = await usersByRole(t.baseUrl);
    const created = await u.clerk.request('POST', '/api/records', { form: recordForm() });
    expect(created.status).toBe(201);
    const id = created.body.id;

    const read = await u.clinician.get(`/api/records/${id}`, purpose('treatment'));
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ patientName: 'Jane Example', status: 'active' });
    const content = await u.clinician.get(`/api/records/${id}/versions/1/content`, purpose('treatment'));
    expect(content.raw.equals(TINY_PNG)).toBe(true);

    const form = new FormData();
    form.append('kind', 'addendum');
    form.append('reason', 'Added discharge medication list');
    const amended = await u.him.request('POST', `/api/records/${id}/amendments`, { form, headers: { 'if-match': read.headers.get('etag')! } });
    expect(amended.status).toBe(201);
    const stale = await u.him.request('POST', `/api/records/${id}/amendments`, { form, headers: { 'if-match': read.headers.get('etag')! } });
    expect(stale.status).toBe(409);

    const hold = await u.legal.post(`/api/records/${id}/holds`, { matter: 'Matter 1', reason: 'Preserve' });
    expect((await u.archivist.post(`/api/records/${id}/destroy`, { authority: 'GS-12', approvedBy: 'archivist2' })).status).toBe(409);
    expect((await u.legal.request('DELETE', `/api/records/${id}/holds/${hold.body.holdId}`)).status).toBe(204);
    expect((await approveAndDestroy(u, id, 'GS-12')).status).toBe(200);
    expect((await u.clinician.get(`/api/records/${id}`, purpose('treatment'))).status).toBe(410);

    const events = await u.auditor.get(`/api/records/${id}/events`, purpose('audit'));
    expect(events.status).toBe(200);
    expect(events.body.chain).toEqual({ valid: true });
    expect(events.body.events.map((e: any) => e.type)).toEqual(
      expect.arrayContaining(['RecordCreated', 'RecordAccessed', 'RecordAmended', 'LegalHoldPlaced', 'LegalHoldLifted', 'RecordDestroyed']),
    );
    expect(JSON.stringify(events.body)).not.toContain('Jane Example');
  });
});

/**
 * MinIO mode with MINIO_ARCHIVE_BUCKET, against the S3 test server: archiving moves a record's
 * objects from MINIO_BUCKET to the archive bucket under the same keys, the API and `verify` read
 * them there, and destruction deletes them there.
 */
describe('the app on MinIO with a separate archive bucket (MINIO_ARCHIVE_BUCKET)', () => {
  let s3: Awaited<ReturnType<typeof startS3rver>>;
  let t: TestApp;
  let env: Record<string, string>;
  let client: S3Client;
  const archiveBucket = `medrec-archive-${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    s3 = await startS3rver();
    env = {
      BLOB_STORE: 'minio',
      MINIO_ENDPOINT: s3.endPoint,
      MINIO_PORT: String(s3.port),
      MINIO_ACCESS_KEY: s3.accessKey,
      MINIO_SECRET_KEY: s3.secretKey,
      MINIO_BUCKET: s3.bucket,
      MINIO_ARCHIVE_BUCKET: archiveBucket,
      // Required outside embedded mode; verify takes it too.
      MEDREC_MASTER_KEY: randomBytes(32).toString('base64'),
    };
    t = await startApp(undefined, env);
    client = new S3Client({ endPoint: s3.endPoint, port: s3.port, useSSL: false, accessKey: s3.accessKey, secretKey: s3.secretKey });
  });
  afterAll(async () => {
    await t?.close();
    await s3?.stop();
  });

  async function objectsIn(bucket: string, prefix: string): Promise<string[]> {
    const names: string[] = [];
    for await (const item of client.listObjects(bucket, prefix, true)) if (item.name) names.push(item.name);
    return names.sort();
  }

  it('archives into the archive bucket, reads from it by the same keys, and destroys there', async () => {
    const u = await usersByRole(t.baseUrl);
    const scan = Buffer.concat([TINY_PNG, Buffer.from('archive-bucket')]);
    const created = await u.clerk.request('POST', '/api/records', { form: recordForm({ mrn: 'ARCH-1' }, scan) });
    expect(created.status).toBe(201);
    const id: string = created.body.id;
    const other = await u.clerk.request('POST', '/api/records', { form: recordForm({ mrn: 'ARCH-2' }) });
    const prefix = `records/${id}/`;
    const stored = await objectsIn(s3.bucket, prefix);
    expect(stored.length).toBeGreaterThan(0);
    expect(await objectsIn(archiveBucket, '')).toEqual([]);

    expect((await u.archivist.post(`/api/records/${id}/archive`, { reason: 'Inactive' })).status).toBe(200);
    expect(await objectsIn(archiveBucket, prefix)).toEqual(stored);
    expect(await objectsIn(s3.bucket, prefix)).toEqual([]);
    expect((await objectsIn(s3.bucket, `records/${other.body.id}/`)).length).toBeGreaterThan(0);
    const content = await u.clinician.get(`/api/records/${id}/versions/1/content`, purpose('treatment'));
    expect(content.status).toBe(200);
    expect(content.raw.equals(scan)).toBe(true);

    // verify, configured like the server, finds the archived content and checks its SHA-256.
    const io = testIo({ MEDREC_DATA_DIR: t.dataDir, ...env });
    expect(await runCli(['verify', '--json'], io)).toBe(EXIT_OK);
    expect(JSON.parse(io.out())).toMatchObject({ valid: true, contentsChecked: 2, contentProblems: [] });

    expect((await approveAndDestroy(u, id)).status).toBe(200);
    expect(await objectsIn(archiveBucket, prefix)).toEqual([]);
    expect(await objectsIn(s3.bucket, prefix)).toEqual([]);
    expect((await u.clinician.get(`/api/records/${id}/versions/1/content`, purpose('treatment'))).status).toBe(410);
  });
});
