import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'minio';
import { describeKeyStoreConformance } from '@medrec/crypto/key-store.conformance';
import { startS3rver, type S3rverInstance } from '@medrec/test-support/s3rver';
import { MinioKeyStore } from './minio-key-store';

type Connection = { endPoint: string; port: number; useSSL: boolean; accessKey: string; secretKey: string };

async function listAll(client: Client, bucket: string): Promise<string[]> {
  const names: string[] = [];
  for await (const item of client.listObjects(bucket, '', true)) if (item.name) names.push(item.name);
  return names;
}

async function readObject(client: Client, bucket: string, name: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await client.getObject(bucket, name)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function removeBucket(client: Client, bucket: string): Promise<void> {
  // One by one: s3rver's DeleteObjects may fail (500, then retried) emptying a folder of several objects at once.
  for (const name of await listAll(client, bucket)) await client.removeObject(bucket, name);
  await client.removeBucket(bucket);
}

let s3rver: S3rverInstance;
/** As older MinIO releases: If-None-Match on PUT ignored. */
let plainS3rver: S3rverInstance;
let connection: Connection;
let plainConnection: Connection;

const connectionOf = (server: S3rverInstance): Connection => ({
  endPoint: server.endPoint,
  port: server.port,
  useSSL: false,
  accessKey: server.accessKey,
  secretKey: server.secretKey,
});

beforeAll(async () => {
  [s3rver, plainS3rver] = await Promise.all([startS3rver({ conditionalWrites: true }), startS3rver()]);
  connection = connectionOf(s3rver);
  plainConnection = connectionOf(plainS3rver);
});
afterAll(() => Promise.all([s3rver?.stop(), plainS3rver?.stop()]));

/** A fresh bucket per test, created by the store itself (as at a deployment's first start). */
async function fixture(base: string, options: { cacheTtlMs?: number } = {}, on: () => Connection = () => connection) {
  const connection = on();
  const client = new Client(connection);
  const bucket = `${base}-${randomBytes(5).toString('hex')}`;
  const masterKey = randomBytes(32);
  const open = (key: Buffer) => MinioKeyStore.open({ connection, bucket, masterKey: key, ...options });
  return {
    client,
    bucket,
    masterKey,
    store: await open(masterKey),
    open,
    /** Object names and contents: a key's id is allowed in a destruction marker's name, its bytes nowhere. */
    storedBytes: async () => {
      const parts: Buffer[] = [];
      for (const name of await listAll(client, bucket)) parts.push(Buffer.from(name, 'utf8'), await readObject(client, bucket, name));
      return Buffer.concat(parts);
    },
    storedKeyIds: async () => (await listAll(client, bucket)).filter((name) => name.startsWith('keys/')).map((name) => name.slice('keys/'.length)),
    wrappedOf: (keyId: string) => readObject(client, bucket, `keys/${keyId}`),
    replaceWrapped: async (keyId: string, wrapped: Buffer) => void (await client.putObject(bucket, `keys/${keyId}`, wrapped, wrapped.length)),
    cleanup: () => removeBucket(client, bucket),
  };
}

describeKeyStoreConformance('MinIO on s3rver with conditional writes', () => fixture('keys-conformance'), { exclusiveAcrossInstances: true });
describeKeyStoreConformance('MinIO on s3rver without conditional writes', () => fixture('keys-conformance', {}, () => plainConnection), {
  exclusiveAcrossInstances: false,
});

if (process.env.MINIO_ENDPOINT) {
  const env = process.env;
  const minio: Connection = {
    endPoint: env.MINIO_ENDPOINT!,
    port: Number(env.MINIO_PORT || 9000),
    useSSL: ['true', '1', 'yes'].includes((env.MINIO_USE_SSL ?? '').toLowerCase()),
    accessKey: env.MINIO_ACCESS_KEY ?? '',
    secretKey: env.MINIO_SECRET_KEY ?? '',
  };
  describeKeyStoreConformance('MinIO on a real MinIO', () => fixture('medrec-keys-test', {}, () => minio), { exclusiveAcrossInstances: true });
}

describe('MinioKeyStore on s3rver', () => {
  it('lays out one object per key, one marker per destroyed key and the master-key check', async () => {
    const f = await fixture('keys-layout');
    try {
      const kept = randomUUID();
      const destroyed = randomUUID();
      await f.store.create(kept);
      await f.store.create(destroyed);
      await f.store.destroy(destroyed);
      expect((await listAll(f.client, f.bucket)).sort()).toEqual(
        [`destroyed/${destroyed}`, `keys/${kept}`, 'meta/conditional-write-probe', 'meta/master-key-check'].sort(),
      );
      expect((await readObject(f.client, f.bucket, `destroyed/${destroyed}`)).toString('utf8')).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/);
    } finally {
      await f.store.close();
      await f.cleanup();
    }
  });

  it('forgets a key destroyed by another process within its cache time', async () => {
    const f = await fixture('keys-cache', { cacheTtlMs: 200 });
    const other = await f.open(f.masterKey);
    try {
      const id = randomUUID();
      const key = await f.store.create(id);
      expect(await f.store.get(id)).toEqual(key);
      await other.destroy(id);
      await new Promise((resolve) => setTimeout(resolve, 250));
      expect(await f.store.get(id)).toBeNull();
    } finally {
      await other.close();
      await f.store.close();
      await f.cleanup();
    }
  });

  it('reads every key from the bucket when the cache is off', async () => {
    const f = await fixture('keys-nocache', { cacheTtlMs: 0 });
    const other = await f.open(f.masterKey);
    try {
      const id = randomUUID();
      await f.store.create(id);
      await other.destroy(id);
      expect(await f.store.get(id)).toBeNull();
    } finally {
      await other.close();
      await f.store.close();
      await f.cleanup();
    }
  });

  it('opens from several processes starting at once on a new bucket: every one creates or finds it, one master-key check', async () => {
    const bucket = `keys-new-${randomBytes(5).toString('hex')}`;
    const masterKey = randomBytes(32);
    const stores = await Promise.all(Array.from({ length: 8 }, () => MinioKeyStore.open({ connection, bucket, masterKey })));
    try {
      const key = await stores[0].create('record-1');
      for (const store of stores) expect(await store.get('record-1')).toEqual(key);
    } finally {
      for (const store of stores) await store.close();
      await removeBucket(new Client(connection), bucket);
    }
  });

  it.each([
    ['honours', () => connection, true, []],
    ['ignores', () => plainConnection, false, [expect.stringContaining('ignores If-None-Match')]],
  ])('finds at open whether the server %s conditional writes (If-None-Match), warning once when not', async (_, on, exclusive, expected) => {
    const warnings: string[] = [];
    const bucket = `keys-probe-${randomBytes(5).toString('hex')}`;
    const store = await MinioKeyStore.open({ connection: on(), bucket, masterKey: randomBytes(32), warn: (message) => warnings.push(message) });
    try {
      expect(store.exclusiveCreation).toBe(exclusive);
      expect(warnings).toEqual(expected);
    } finally {
      await store.close();
      await removeBucket(new Client(on()), bucket);
    }
  });

  it('refuses a bucket with versioning enabled or suspended, naming the bucket and the setting', async () => {
    const client = new Client(connection);
    const bucket = `keys-versioned-${randomBytes(5).toString('hex')}`;
    await client.makeBucket(bucket);
    try {
      for (const Status of ['Enabled', 'Suspended']) {
        // s3rver has no versioning: the answer is given as MinIO gives it.
        const versioned = new Client(connection);
        versioned.getBucketVersioning = async () => ({ Status }) as never;
        await expect(MinioKeyStore.open({ connection: { client: versioned }, bucket, masterKey: randomBytes(32) })).rejects.toThrow(
          new RegExp(`key bucket "${bucket}" has versioning ${Status.toLowerCase()}.*MINIO_KEY_BUCKET`),
        );
      }
      expect(await listAll(client, bucket)).toEqual([]); // refused before writing anything
    } finally {
      await removeBucket(client, bucket);
    }
  });

  it('refuses a closed store and an unreachable server with a clear message', async () => {
    const unreachable = MinioKeyStore.open({
      connection: { ...connection, port: 1 },
      bucket: 'keys-unreachable',
      masterKey: randomBytes(32),
    });
    await expect(unreachable).rejects.toThrow(/key bucket "keys-unreachable"/);
  });
});
