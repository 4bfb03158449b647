import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Client } from 'minio';
import {
  KEY_LENGTH,
  KeyDestroyedError,
  KeyExistsError,
  MasterKeyError,
  assertKeyId,
  masterKeyCheck,
  unwrapKey,
  verifyMasterKeyCheck,
  wrapKey,
  type KeyStore,
} from '@medrec/crypto';
import { MinioBlobStoreError } from './minio-blob-store';

export interface MinioKeyStoreOptions {
  /** A connection (the blob store's settings) or a client of one. */
  connection: { endPoint: string; port: number; useSSL: boolean; accessKey: string; secretKey: string; region?: string } | { client: Client };
  /** A bucket of its own: its objects are deleted for good only while it never had versioning. */
  bucket: string;
  masterKey: Buffer;
  /**
   * How long an unwrapped key is reused from memory, in milliseconds (default 1000, 0 = never):
   * a key destroyed by another process stays readable here for at most this long.
   */
  cacheTtlMs?: number;
  /** Unwrapped keys kept at most (default 1000). */
  cacheSize?: number;
  /** Told once at open when the server ignores conditional writes (see create). */
  warn?: (message: string) => void;
}

/** Object names: wrapped keys, destruction markers (the id and a date, nothing of the key), the master-key check. */
const KEY_PREFIX = 'keys/';
const DESTROYED_PREFIX = 'destroyed/';
const CHECK_OBJECT = 'meta/master-key-check';
const PROBE_OBJECT = 'meta/conditional-write-probe';
/** DeleteObjects accepts at most this many names per request. */
const DELETE_BATCH = 1000;

/**
 * Per-record data keys as objects in an S3 bucket of their own (MinIO or any S3-compatible store),
 * shared by every API and worker process of a deployment. Each key is one object, wrapped
 * (AES-256-GCM) by the master key with its key id as associated data, as in SqliteKeyStore.
 *
 * Shredding: destroy deletes the key's object; the bucket must never have had versioning (checked
 * at open), else the store would keep the deleted key as a non-current version. What the storage
 * layer keeps of freed blocks is outside the store's reach, as for SQLite. A marker object per
 * destroyed key records the destruction, so that the key can never be created again.
 *
 * Creation is exclusive where the server honours `If-None-Match: *` on PUT (AWS S3, MinIO since
 * RELEASE.2024-11): a second creation of one key id, from any process, fails with KeyExistsError.
 * Servers that ignore it (s3rver, older MinIO) are detected at open and reported through `warn`:
 * there two processes creating the same key id at the same moment both succeed and the later
 * write wins. medrec creates a record's key once, in the command that creates the record.
 */
/** Keys getMany() reads from MinIO at once. */
const GET_MANY_AT_ONCE = 16;

export class MinioKeyStore implements KeyStore {
  readonly bucket: string;
  private readonly client: Client;
  private readonly masterKey: Buffer;
  private readonly cacheTtlMs: number;
  private readonly cacheSize: number;
  private readonly cache = new Map<string, { key: Buffer; until: number }>();
  /** Creations in flight in this process, so that two of one key id here never race each other. */
  private readonly creating = new Map<string, Promise<Buffer>>();
  private conditionalWrites = false;
  private closed = false;

  private constructor(options: MinioKeyStoreOptions) {
    if (!Buffer.isBuffer(options.masterKey) || options.masterKey.length !== KEY_LENGTH) {
      throw new MasterKeyError(`The master key must be ${KEY_LENGTH} bytes`);
    }
    this.bucket = options.bucket;
    this.masterKey = Buffer.from(options.masterKey);
    this.cacheTtlMs = options.cacheTtlMs ?? 1000;
    this.cacheSize = options.cacheSize ?? 1000;
    const connection = options.connection;
    this.client = 'client' in connection ? connection.client : new Client(connection);
  }

  /**
   * Opens the store: creates the bucket when missing, refuses one with versioning enabled or
   * suspended, and writes or checks the master-key check object (MasterKeyError on a mismatch).
   */
  static async open(options: MinioKeyStoreOptions): Promise<MinioKeyStore> {
    const store = new MinioKeyStore(options);
    try {
      await store.ensureBucket();
      await store.refuseVersioning();
      await store.verifyMasterKey();
      store.conditionalWrites = await store.probeConditionalWrites();
      if (!store.conditionalWrites) {
        options.warn?.(
          `The object store of the key bucket "${store.bucket}" ignores If-None-Match on PUT: two processes creating the same key at the same moment would not be refused`,
        );
      }
      return store;
    } catch (error) {
      await store.close();
      throw error;
    }
  }

  /** Whether creation is exclusive across processes (the server honours If-None-Match). */
  get exclusiveCreation(): boolean {
    return this.conditionalWrites;
  }

  async create(keyId: string): Promise<Buffer> {
    assertKeyId(keyId);
    this.assertOpen();
    if (this.creating.has(keyId)) throw new KeyExistsError(keyId);
    const creation = this.createNew(keyId);
    this.creating.set(keyId, creation);
    try {
      return await creation;
    } finally {
      this.creating.delete(keyId);
    }
  }

  async get(keyId: string): Promise<Buffer | null> {
    assertKeyId(keyId);
    this.assertOpen();
    const cached = this.cache.get(keyId);
    if (cached && cached.until > Date.now()) return Buffer.from(cached.key);
    this.forget(keyId);
    const wrapped = await this.read(KEY_PREFIX + keyId);
    if (!wrapped) return null;
    const key = unwrapKey(this.masterKey, keyId, wrapped);
    const copy = Buffer.from(key);
    this.remember(keyId, key);
    return copy;
  }

  /** Reads the keys not in the cache a few at a time (one object each). */
  async getMany(keyIds: readonly string[]): Promise<Map<string, Buffer | null>> {
    const unique = [...new Set(keyIds)];
    const keys = new Map<string, Buffer | null>();
    try {
      for (let i = 0; i < unique.length; i += GET_MANY_AT_ONCE) {
        const slice = unique.slice(i, i + GET_MANY_AT_ONCE);
        const read = await Promise.allSettled(slice.map((keyId) => this.get(keyId)));
        read.forEach((r, j) => r.status === 'fulfilled' && keys.set(slice[j], r.value));
        const failed = read.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failed) throw failed.reason;
      }
    } catch (error) {
      for (const key of keys.values()) key?.fill(0);
      throw error;
    }
    return keys;
  }

  async isDestroyed(keyId: string): Promise<boolean> {
    assertKeyId(keyId);
    this.assertOpen();
    return this.exists(DESTROYED_PREFIX + keyId);
  }

  async destroy(keyId: string): Promise<void> {
    return this.destroyAll([keyId]);
  }

  /** Markers first, then the keys: a failure between them leaves a key refused for creation, never a destroyed key recreatable. */
  async destroyAll(keyIds: readonly string[]): Promise<void> {
    for (const keyId of keyIds) assertKeyId(keyId);
    this.assertOpen();
    const unique = [...new Set(keyIds)];
    for (const keyId of unique) this.forget(keyId);
    const at = Buffer.from(new Date().toISOString(), 'utf8');
    for (let i = 0; i < unique.length; i += 16) {
      await Promise.all(
        unique
          .slice(i, i + 16)
          .map((keyId) =>
            this.call('write of destruction marker', DESTROYED_PREFIX + keyId, () =>
              this.client.putObject(this.bucket, DESTROYED_PREFIX + keyId, at, at.length),
            ),
          ),
      );
    }
    for (let i = 0; i < unique.length; i += DELETE_BATCH) {
      const names = unique.slice(i, i + DELETE_BATCH).map((keyId) => KEY_PREFIX + keyId);
      const failures = (await this.call('delete of keys', `${names.length} keys`, () => this.client.removeObjects(this.bucket, names))).filter(
        Boolean,
      ) as Array<{
        Code?: string;
        Error?: { Code?: string };
      }>;
      if (failures.length > 0) {
        throw new Error(
          `${failures.length} of ${names.length} keys were not deleted from bucket "${this.bucket}" (first: ${failures[0].Error?.Code ?? failures[0].Code ?? 'unknown'}); retry the destroy`,
        );
      }
    }
    // Another process may have read one of them just before; it forgets it within cacheTtlMs.
    for (const keyId of unique) this.forget(keyId);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const keyId of [...this.cache.keys()]) this.forget(keyId);
    this.masterKey.fill(0);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`The key store on bucket "${this.bucket}" is closed`);
  }

  private async createNew(keyId: string): Promise<Buffer> {
    if (await this.exists(DESTROYED_PREFIX + keyId)) throw new KeyDestroyedError(keyId);
    // Without conditional writes, this check at least refuses creations that do not overlap.
    if (!this.conditionalWrites && (await this.exists(KEY_PREFIX + keyId))) throw new KeyExistsError(keyId);
    const key = randomBytes(KEY_LENGTH);
    const wrapped = wrapKey(this.masterKey, keyId, key);
    if (!(await this.putIfAbsent(KEY_PREFIX + keyId, wrapped))) throw new KeyExistsError(keyId);
    // A destruction that ran between the marker check and the write: the key must not outlive it.
    if (await this.exists(DESTROYED_PREFIX + keyId)) {
      await this.call('delete of key', KEY_PREFIX + keyId, () => this.client.removeObject(this.bucket, KEY_PREFIX + keyId));
      key.fill(0);
      throw new KeyDestroyedError(keyId);
    }
    const copy = Buffer.from(key);
    this.remember(keyId, key);
    return copy;
  }

  private async ensureBucket(): Promise<void> {
    try {
      if (await this.client.bucketExists(this.bucket)) return;
      await this.client.makeBucket(this.bucket);
    } catch (error) {
      // Another process starting at the same time may have just created it (BucketAlreadyOwnedByYou
      // on MinIO and S3, BucketAlreadyExists on some servers): what counts is that it exists now.
      if (await this.client.bucketExists(this.bucket).catch(() => false)) return;
      throw new MinioBlobStoreError('bucket check', `key bucket "${this.bucket}"`, error);
    }
  }

  /** Enabled or suspended versioning keeps deleted keys as older versions. A server without versioning (NotImplemented) keeps none. */
  private async refuseVersioning(): Promise<void> {
    let status: string | undefined;
    try {
      status = ((await this.client.getBucketVersioning(this.bucket)) as { Status?: string } | undefined)?.Status;
    } catch (error) {
      if (errorCode(error) === 'NotImplemented') return;
      throw new MinioBlobStoreError('versioning check', `key bucket "${this.bucket}"`, error);
    }
    if (status === 'Enabled' || status === 'Suspended') {
      throw new Error(
        `The key bucket "${this.bucket}" has versioning ${status.toLowerCase()}: a destroyed key would survive as an older version. Use a bucket that never had versioning (MINIO_KEY_BUCKET).`,
      );
    }
  }

  private async verifyMasterKey(): Promise<void> {
    const check = await this.read(CHECK_OBJECT);
    if (check) return verifyMasterKeyCheck(this.masterKey, check);
    // Two processes opening a new store at once: with conditional writes the first check written wins and
    // the other verifies against it; without, the later one overwrites (same master key, so both still verify).
    const written = masterKeyCheck(this.masterKey);
    await this.putIfAbsent(CHECK_OBJECT, written);
    verifyMasterKeyCheck(this.masterKey, (await this.read(CHECK_OBJECT)) ?? written);
  }

  /** Writes a probe object twice with If-None-Match: * and sees whether the second write is refused. */
  private async probeConditionalWrites(): Promise<boolean> {
    const probe = Buffer.from('probe', 'utf8');
    await this.putIfAbsent(PROBE_OBJECT, probe);
    return !(await this.putIfAbsent(PROBE_OBJECT, probe));
  }

  /** false when the object exists and the server honoured If-None-Match. */
  private async putIfAbsent(name: string, body: Buffer): Promise<boolean> {
    try {
      await this.client.putObject(this.bucket, name, body, body.length, { 'If-None-Match': '*' });
      return true;
    } catch (error) {
      const code = errorCode(error);
      if (code === 'PreconditionFailed' || code === 'ConditionalRequestConflict') return false;
      throw new MinioBlobStoreError('put', this.target(name), error);
    }
  }

  private async read(name: string): Promise<Buffer | null> {
    let stream: Readable;
    try {
      stream = await this.client.getObject(this.bucket, name);
    } catch (error) {
      if (isMissingObject(error)) return null;
      throw new MinioBlobStoreError('get', this.target(name), error);
    }
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  private async exists(name: string): Promise<boolean> {
    try {
      await this.client.statObject(this.bucket, name);
      return true;
    } catch (error) {
      if (isMissingObject(error)) return false;
      throw new MinioBlobStoreError('stat', this.target(name), error);
    }
  }

  private async call<T>(operation: string, target: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      throw new MinioBlobStoreError(operation, this.target(target), error);
    }
  }

  private remember(keyId: string, key: Buffer): void {
    this.forget(keyId);
    if (this.cacheTtlMs <= 0 || this.closed) return void key.fill(0);
    this.cache.set(keyId, { key, until: Date.now() + this.cacheTtlMs });
    if (this.cache.size > this.cacheSize) this.evictOldest();
  }

  /** Down to seven eighths of the cache size (the newest key kept), oldest first, in one pass: see SqliteKeyStore.evictOldest. */
  private evictOldest(): void {
    let excess = this.cache.size - Math.max(1, Math.floor((this.cacheSize * 7) / 8));
    for (const id of this.cache.keys()) {
      if (excess-- <= 0) break;
      this.forget(id);
    }
  }

  private forget(keyId: string): void {
    const entry = this.cache.get(keyId);
    if (entry) {
      entry.key.fill(0);
      this.cache.delete(keyId);
    }
  }

  private target(name: string): string {
    return `"${name}" in key bucket "${this.bucket}"`;
  }
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.length > 0 ? code : undefined;
}

function isMissingObject(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'NoSuchKey' || code === 'NotFound';
}
