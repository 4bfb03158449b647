import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { Client } from 'minio';
import { startS3rver, type S3rverInstance } from '@medrec/test-support/s3rver';
import { ArchivingBlobStore, moveToArchive } from '../archiving-blob-store';
import { BlobNotFoundError } from '../blob-store.port';
import { describeBlobStoreConformance } from '../blob-store.conformance';
import { getDecrypted, putEncrypted } from '../encrypted-blob-store';
import { MIN_PART_SIZE, MinioBlobStore, MinioBlobStoreError, type MinioConnectionOptions } from './minio-blob-store';

type Connection = Omit<MinioConnectionOptions, 'bucket' | 'region' | 'partSize'>;

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** `total` random-looking bytes in 64 KiB chunks, generated as read; `onRead` sees the running count. */
function generated(total: number, onRead: (produced: number) => void = () => undefined): { stream: Readable; digest(): string } {
  const hash = createHash('sha256');
  const block = randomBytes(64 * 1024);
  let produced = 0;
  const stream = new Readable({
    read() {
      if (produced >= total) return void this.push(null);
      const piece = Buffer.from(block.subarray(0, Math.min(block.length, total - produced)));
      if (piece.length >= 4) piece.writeUInt32BE(produced); // no two chunks alike
      hash.update(piece);
      produced += piece.length;
      onRead(produced);
      this.push(piece);
    },
  });
  return { stream, digest: () => hash.digest('hex') };
}

/** A source that delivers `bytes` and then fails, as an aborted client upload does. */
function failingAfter(bytes: number, message: string): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= bytes) return void this.destroy(new Error(message));
      const piece = Buffer.alloc(Math.min(256 * 1024, bytes - sent), 7);
      sent += piece.length;
      this.push(piece);
    },
  });
}

/** Each test gets its own bucket, removed with its content afterwards: a configured bucket is never written to. */
async function freshBucket(connection: Connection, base: string, partSize?: number) {
  const bucket = `${base}-${randomBytes(5).toString('hex')}`;
  const store = new MinioBlobStore({ ...connection, bucket, partSize });
  await store.ensureBucket();
  return { store, bucket, cleanup: () => removeBucket(connection, bucket) };
}

async function removeBucket(connection: Connection, bucket: string): Promise<void> {
  const client = new Client(connection);
  const names: string[] = [];
  for await (const item of client.listObjects(bucket, '', true)) if (item.name) names.push(item.name);
  if (names.length > 0) await client.removeObjects(bucket, names);
  await client.removeBucket(bucket);
}

let s3rver: S3rverInstance;
let s3rverConnection: Connection;

beforeAll(async () => {
  s3rver = await startS3rver();
  s3rverConnection = { endPoint: s3rver.endPoint, port: s3rver.port, useSSL: false, accessKey: s3rver.accessKey, secretKey: s3rver.secretKey };
});
afterAll(() => s3rver?.stop());

// The smallest part size makes the conformance suite's 5 MiB blob land exactly on the single-PUT boundary.
describeBlobStoreConformance('minio on s3rver', () => freshBucket(s3rverConnection, 'conformance', MIN_PART_SIZE));

if (process.env.MINIO_ENDPOINT) {
  const env = process.env;
  const minio: Connection = {
    endPoint: env.MINIO_ENDPOINT!,
    port: Number(env.MINIO_PORT || 9000),
    useSSL: ['true', '1', 'yes'].includes((env.MINIO_USE_SSL ?? '').toLowerCase()),
    accessKey: env.MINIO_ACCESS_KEY ?? '',
    secretKey: env.MINIO_SECRET_KEY ?? '',
  };
  describeBlobStoreConformance('minio on a real MinIO', () => freshBucket(minio, `${env.MINIO_BUCKET || 'medrec'}-test`, MIN_PART_SIZE));
}

describe('MinioBlobStore on s3rver', () => {
  let fixture: Awaited<ReturnType<typeof freshBucket>>;
  let store: MinioBlobStore;

  beforeEach(async () => {
    fixture = await freshBucket(s3rverConnection, 'specifics', MIN_PART_SIZE);
    store = fixture.store;
  });
  afterEach(() => fixture.cleanup());

  it('uploads a stream longer than one part as a multipart upload, holding at most one part in memory', async () => {
    const total = 50 * 1024 * 1024;
    // What the store holds is what it has read from the source and not yet sent.
    let sent = 0;
    let maxHeld = 0;
    const parts: number[] = [];
    const client = new Client(s3rverConnection);
    const uploadPart = client.uploadPart.bind(client);
    client.uploadPart = async (config, payload) => {
      const result = await uploadPart(config, payload);
      parts.push((payload as Buffer).length);
      sent += (payload as Buffer).length;
      return result;
    };
    const instrumented = new MinioBlobStore({ client, bucket: fixture.bucket, partSize: MIN_PART_SIZE });
    const source = generated(total, (produced) => (maxHeld = Math.max(maxHeld, produced - sent)));
    const info = await instrumented.put('large/scan.pdf', source.stream);
    expect(info).toEqual({ key: 'large/scan.pdf', size: total, sha256: source.digest() });
    expect(parts).toEqual([...Array(10).fill(MIN_PART_SIZE)]);
    expect(maxHeld).toBeLessThanOrEqual(MIN_PART_SIZE + 3 * 64 * 1024); // one part and a chunk or two in flight
    const back = createHash('sha256');
    let size = 0;
    for await (const chunk of await store.get('large/scan.pdf')) {
      back.update(chunk);
      size += chunk.length;
    }
    expect(size).toBe(total);
    expect(back.digest('hex')).toBe(info.sha256);
  });

  it('uploads a Buffer longer than one part, ending on a short last part', async () => {
    const data = randomBytes(2 * MIN_PART_SIZE + 12_345);
    expect(await store.put('records/r1/v1/original', data)).toEqual({ key: 'records/r1/v1/original', size: data.length, sha256: sha256(data) });
    expect((await readAll(await store.get('records/r1/v1/original'))).equals(data)).toBe(true);
  });

  it.each([
    ['before the first part is full (single PUT)', 1024 * 1024],
    ['after the multipart upload began', MIN_PART_SIZE + 1024 * 1024],
  ])('stores nothing when the source fails %s, and keeps the previous version', async (_when, bytes) => {
    await expect(store.put('records/r1/v1/original', failingAfter(bytes, 'upload aborted'))).rejects.toThrow('upload aborted');
    expect(await store.exists('records/r1/v1/original')).toBe(false);
    await store.put('records/r1/v1/original', Buffer.from('intact'));
    await expect(store.put('records/r1/v1/original', failingAfter(bytes, 'upload aborted'))).rejects.toThrow('upload aborted');
    expect((await readAll(await store.get('records/r1/v1/original'))).toString()).toBe('intact');
  });

  it('round-trips encrypted content, storing only ciphertext', async () => {
    const dataKey = randomBytes(32);
    const plaintext = Buffer.from('%PDF-1.7 Patient: Jane Doe, DOB 1970-01-01. '.repeat(20_000));
    const info = await putEncrypted(store, 'records/r1/v1/original', Readable.from([plaintext.subarray(0, 1000), plaintext.subarray(1000)]), dataKey);
    expect(info.sha256).toBe(sha256(plaintext));
    const stored = await readAll(await store.get('records/r1/v1/original'));
    expect(info.storedSha256).toBe(sha256(stored));
    expect(stored.includes(Buffer.from('Jane Doe'))).toBe(false);
    const back = await readAll(await getDecrypted(store, 'records/r1/v1/original', dataKey, { expectedSha256: info.sha256 }));
    expect(back.equals(plaintext)).toBe(true);
  });

  it('stores nothing when the source of an encrypted put fails', async () => {
    await expect(putEncrypted(store, 'records/r1/v1/original', failingAfter(300_000, 'client went away'), randomBytes(32))).rejects.toThrow('client went away');
    expect(await store.exists('records/r1/v1/original')).toBe(false);
  });

  it('creates its bucket once and accepts an existing one', async () => {
    const bucket = `ensure-${randomBytes(5).toString('hex')}`;
    const fresh = new MinioBlobStore({ ...s3rverConnection, bucket });
    await fresh.ensureBucket();
    await fresh.ensureBucket();
    await fresh.put('k', Buffer.from('v'));
    expect(await fresh.exists('k')).toBe(true);
    await removeBucket(s3rverConnection, bucket);
  });

  it('creates its bucket from several processes starting at once: each one creates or finds it', async () => {
    const bucket = `ensure-${randomBytes(5).toString('hex')}`;
    await Promise.all(Array.from({ length: 4 }, () => new MinioBlobStore({ ...s3rverConnection, bucket }).ensureBucket()));
    await removeBucket(s3rverConnection, bucket);
  });

  it('explains a missing bucket or wrong credentials without revealing the secret', async () => {
    const missing = new MinioBlobStore({ ...s3rverConnection, bucket: 'no-such-bucket' });
    const putError = await missing.put('k', Buffer.from('v')).catch((error) => error);
    expect(putError).toBeInstanceOf(MinioBlobStoreError);
    expect(putError.message).toMatch(/put failed for "k" in bucket "no-such-bucket" at http:\/\/127\.0\.0\.1:\d+: NoSuchBucket/);
    await expect(missing.get('k')).rejects.toThrow(/NoSuchBucket/);

    // s3rver checks access keys but not V4 signatures: an unknown access key stands for bad credentials.
    const wrongSecret = 'not-the-secret-' + randomBytes(8).toString('hex');
    const unauthorised = new MinioBlobStore({ ...s3rverConnection, accessKey: 'UNKNOWN', secretKey: wrongSecret, bucket: fixture.bucket });
    for (const attempt of [() => unauthorised.ensureBucket(), () => unauthorised.put('k', Buffer.from('v')), () => unauthorised.exists('k')]) {
      const error = await attempt().catch((e) => e);
      expect(error).toBeInstanceOf(MinioBlobStoreError);
      expect(error.message).toMatch(/InvalidAccessKeyId|Forbidden|AccessDenied/);
      expect(error.message).not.toContain(wrongSecret);
      expect(JSON.stringify(error)).not.toContain(wrongSecret);
    }
  });

  it('fails clearly when the server is unreachable', async () => {
    const down = new MinioBlobStore({ ...s3rverConnection, port: 1, bucket: 'medrec' });
    await expect(down.ensureBucket()).rejects.toThrow(/bucket check failed for bucket "medrec" at http:\/\/127\.0\.0\.1:1: ECONNREFUSED/);
  });

  it('deletes prefixes of more than one DeleteObjects batch', async () => {
    const keys = Array.from({ length: 1003 }, (_, i) => `records/many/page-${i}`);
    for (let i = 0; i < keys.length; i += 50) await Promise.all(keys.slice(i, i + 50).map((key) => store.put(key, Buffer.from('p'))));
    await store.put('records/other/original', Buffer.from('o'));
    expect(await store.deletePrefix('records/many/')).toBe(1003);
    expect(await store.exists('records/many/page-1002')).toBe(false);
    expect(await store.exists('records/other/original')).toBe(true);
    await expect(store.get('records/many/page-0')).rejects.toBeInstanceOf(BlobNotFoundError);
  });

  it('rejects a part size S3 would not accept', () => {
    expect(() => new MinioBlobStore({ ...s3rverConnection, bucket: 'b', partSize: 1024 })).toThrow(RangeError);
    const client = new Client({ ...s3rverConnection, partSize: MIN_PART_SIZE });
    expect(() => new MinioBlobStore({ client, bucket: 'b', partSize: 2 * MIN_PART_SIZE })).toThrow(RangeError);
  });
});

/** Every object name in a bucket. */
async function objectsIn(bucket: string): Promise<string[]> {
  const names: string[] = [];
  for await (const item of new Client(s3rverConnection).listObjects(bucket, '', true)) if (item.name) names.push(item.name);
  return names.sort();
}

/** The application's store in MinIO mode with MINIO_ARCHIVE_BUCKET: the live bucket, and the archive bucket under the same keys. */
async function archivingBuckets() {
  const live = await freshBucket(s3rverConnection, 'live', MIN_PART_SIZE);
  const archive = await freshBucket(s3rverConnection, 'archive', MIN_PART_SIZE);
  return {
    store: new ArchivingBlobStore(live.store, archive.store, ''),
    live: live.bucket,
    archive: archive.bucket,
    cleanup: async () => {
      await live.cleanup();
      await archive.cleanup();
    },
  };
}

describeBlobStoreConformance('archiving (minio, archive bucket) on s3rver', archivingBuckets);

describe('ArchivingBlobStore over MinIO with an archive bucket (MINIO_ARCHIVE_BUCKET), on s3rver', () => {
  let fixture: Awaited<ReturnType<typeof archivingBuckets>>;

  beforeEach(async () => {
    fixture = await archivingBuckets();
  });
  afterEach(() => fixture.cleanup());

  it("moves a record's objects to the archive bucket, where they read back by the same keys; destruction deletes them there", async () => {
    const { store } = fixture;
    const dataKey = randomBytes(32);
    const original = Buffer.from('%PDF-1.7 Patient: Jane Doe. '.repeat(10_000));
    const info = await putEncrypted(store, 'records/r1/v1/original', original, dataKey);
    await store.put('records/r1/v1/ocr.txt', Buffer.from('sealed text'));
    await store.put('records/r2/v1/original', Buffer.from('another record'));

    for (const key of ['records/r1/v1/original', 'records/r1/v1/ocr.txt']) expect(await moveToArchive(store, key)).toBe(true);
    // In the archive bucket under the key itself (no prefix), gone from the live bucket.
    expect(await objectsIn(fixture.archive)).toEqual(['records/r1/v1/ocr.txt', 'records/r1/v1/original']);
    expect(await objectsIn(fixture.live)).toEqual(['records/r2/v1/original']);
    expect(await store.isArchived('records/r1/v1/original')).toBe(true);
    expect(await store.exists('records/r1/v1/original')).toBe(true);
    // Read back by the same keys, bytes as stored: the content still decrypts and matches its SHA-256.
    const back = await readAll(await getDecrypted(store, 'records/r1/v1/original', dataKey, { expectedSha256: info.sha256 }));
    expect(back.equals(original)).toBe(true);
    expect((await readAll(await store.get('records/r1/v1/ocr.txt'))).toString()).toBe('sealed text');
    // A second move finds nothing left to move and changes nothing.
    expect(await store.moveToArchive('records/r1/v1/original')).toBe(false);
    expect(await objectsIn(fixture.archive)).toEqual(['records/r1/v1/ocr.txt', 'records/r1/v1/original']);

    // A record's destruction: every object of it, in both buckets; another record's stay.
    expect(await store.deletePrefix('records/r1/')).toBe(2);
    expect(await objectsIn(fixture.archive)).toEqual([]);
    expect(await objectsIn(fixture.live)).toEqual(['records/r2/v1/original']);
    await expect(store.get('records/r1/v1/original')).rejects.toBeInstanceOf(BlobNotFoundError);
    expect(await store.exists('records/r1/v1/ocr.txt')).toBe(false);
  });
});
