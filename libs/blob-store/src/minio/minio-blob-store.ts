import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Client } from 'minio';
import { assertValidBlobKey, assertValidBlobPrefix } from '../blob-key';
import { BlobNotFoundError, type BlobInfo, type BlobStore } from '../blob-store.port';
import { writeMeasured } from '../measured-write';

export interface MinioConnectionOptions {
  endPoint: string;
  port: number;
  useSSL: boolean;
  accessKey: string;
  secretKey: string;
  bucket: string;
  region?: string;
  /** Bytes buffered per upload part; bodies up to this size are one PUT. Default 8 MiB, at least 5 MiB. */
  partSize?: number;
}

export interface MinioClientOptions {
  client: Client;
  bucket: string;
  region?: string;
  /** At most the client's own partSize, so that a body of one part is always a single PUT. */
  partSize?: number;
}

export type MinioBlobStoreOptions = MinioConnectionOptions | MinioClientOptions;

/** S3's smallest allowed part (except the last one). */
export const MIN_PART_SIZE = 5 * 1024 * 1024;
/** Bytes held in memory per upload at most (plus one incoming chunk). */
export const DEFAULT_PART_SIZE = 8 * 1024 * 1024;
/** S3's largest part number. */
const MAX_PARTS = 10_000;
/** DeleteObjects accepts at most this many keys per request. */
const DELETE_BATCH = 1000;

/** A failure talking to the object store. Messages carry the operation, bucket and key, never credentials. */
export class MinioBlobStoreError extends Error {
  readonly code?: string;

  constructor(operation: string, target: string, cause: unknown) {
    const code = errorCode(cause);
    const detail = cause instanceof Error && cause.message ? cause.message : String(cause);
    super(`Object store ${operation} failed for ${target}: ${code ? `${code}: ` : ''}${detail}`, { cause });
    this.name = 'MinioBlobStoreError';
    this.code = code;
  }
}

/**
 * Blobs as objects in one S3 bucket (MinIO or any S3-compatible store), object name = blob key.
 *
 * A put is streamed: bodies up to `partSize` go up in one PUT; longer ones as a multipart upload,
 * holding one part in memory at a time, and aborted if the source fails. Either way the object
 * appears whole or not at all. The client's own stream upload is not used: for a stream of unknown
 * length it buffers parts of 528 MiB, and it resumes whichever unfinished upload it finds for the
 * key, which mixes concurrent puts to the same key.
 */
export class MinioBlobStore implements BlobStore {
  readonly bucket: string;
  private readonly client: Client;
  private readonly region?: string;
  private readonly partSize: number;
  private readonly location: string;

  constructor(options: MinioBlobStoreOptions) {
    this.bucket = options.bucket;
    this.region = options.region;
    const given = 'client' in options ? options.client : null;
    this.partSize = options.partSize ?? Math.min(DEFAULT_PART_SIZE, given?.partSize ?? DEFAULT_PART_SIZE);
    if (!Number.isInteger(this.partSize) || this.partSize < MIN_PART_SIZE) {
      throw new RangeError(`partSize must be an integer of at least ${MIN_PART_SIZE} bytes`);
    }
    // Above the client's part size, its putObject would switch to its own multipart upload.
    if (given && this.partSize > given.partSize) {
      throw new RangeError(`partSize must not exceed the client's partSize (${given.partSize} bytes)`);
    }
    if (given) {
      this.client = given;
      this.location = `bucket "${this.bucket}"`;
    } else {
      const connection = options as MinioConnectionOptions;
      this.client = new Client({
        endPoint: connection.endPoint,
        port: connection.port,
        useSSL: connection.useSSL,
        accessKey: connection.accessKey,
        secretKey: connection.secretKey,
        region: connection.region,
        partSize: this.partSize,
      });
      const scheme = connection.useSSL ? 'https' : 'http';
      this.location = `bucket "${this.bucket}" at ${scheme}://${connection.endPoint}:${connection.port}`;
    }
  }

  /** Creates the bucket when it does not exist yet. Run once at start-up: it also proves the store is reachable. */
  async ensureBucket(): Promise<void> {
    try {
      if (await this.client.bucketExists(this.bucket)) return;
      await this.client.makeBucket(this.bucket, this.region);
    } catch (error) {
      // Another process starting at the same time may have just created it (BucketAlreadyOwnedByYou
      // on MinIO and S3, BucketAlreadyExists on some servers): what counts is that it exists now.
      if (await this.client.bucketExists(this.bucket).catch(() => false)) return;
      throw new MinioBlobStoreError('bucket check', this.location, error);
    }
  }

  async put(key: string, body: Readable | Buffer): Promise<BlobInfo> {
    assertValidBlobKey(key);
    const upload = new PartedUpload(this.client, this.bucket, key, this.partSize, this.target(key));
    let written: { size: number; sha256: string };
    try {
      written = await writeMeasured(body, (chunk) => upload.write(chunk));
      await upload.finish();
    } catch (error) {
      // Store failures arrive already wrapped; anything else is the caller's body failing and is passed on as is.
      await upload.abort();
      throw error;
    }
    return { key, ...written };
  }

  async get(key: string): Promise<Readable> {
    assertValidBlobKey(key);
    try {
      return await this.client.getObject(this.bucket, key);
    } catch (error) {
      if (isMissingObject(error)) throw new BlobNotFoundError(key);
      throw new MinioBlobStoreError('get', this.target(key), error);
    }
  }

  /** The bucket exists and the credentials are accepted. */
  async ping(): Promise<void> {
    let found: boolean;
    try {
      found = await this.client.bucketExists(this.bucket);
    } catch (error) {
      throw new MinioBlobStoreError('bucket check', this.location, error);
    }
    if (!found) throw new MinioBlobStoreError('bucket check', this.location, new Error('the bucket does not exist'));
  }

  async exists(key: string): Promise<boolean> {
    assertValidBlobKey(key);
    try {
      await this.client.statObject(this.bucket, key);
      return true;
    } catch (error) {
      if (isMissingObject(error)) return false;
      throw new MinioBlobStoreError('stat', this.target(key), error);
    }
  }

  async delete(key: string): Promise<void> {
    assertValidBlobKey(key);
    try {
      await this.client.removeObject(this.bucket, key);
    } catch (error) {
      if (isMissingObject(error)) return;
      throw new MinioBlobStoreError('delete', this.target(key), error);
    }
  }

  /** Plain string-prefix semantics: "records/a" also matches "records/ab/...". */
  async deletePrefix(prefix: string): Promise<number> {
    assertValidBlobPrefix(prefix);
    let deleted = 0;
    // ListObjects (v1) pages continue after a marker, the last key seen, which stays valid while listed keys
    // are deleted. (v2's continuation tokens would do as well on S3 and MinIO, but s3rver fails to make them.)
    let after = '';
    try {
      for (;;) {
        const page = await this.client.listObjectsQuery(this.bucket, prefix, after, { Delimiter: '', MaxKeys: DELETE_BATCH });
        const names = page.objects.map((item) => item.name).filter((name): name is string => Boolean(name));
        if (names.length > 0) {
          await this.removeAll(names);
          deleted += names.length;
        }
        if (!page.isTruncated || names.length === 0) break;
        after = names[names.length - 1];
      }
    } catch (error) {
      throw new MinioBlobStoreError('delete of prefix', this.target(prefix), error);
    }
    return deleted;
  }

  private async removeAll(names: string[]): Promise<void> {
    // The client returns one entry per key that could not be deleted.
    const failures = (await this.client.removeObjects(this.bucket, names)).filter(Boolean) as { Code?: string; Error?: { Code?: string } }[];
    if (failures.length > 0) {
      const code = failures[0].Error?.Code ?? failures[0].Code ?? 'unknown';
      throw new Error(`${failures.length} of ${names.length} objects were not deleted (first: ${code})`);
    }
  }

  private target(key: string): string {
    return `"${key}" in ${this.location}`;
  }
}

/**
 * Collects a body into parts of exactly `partSize` bytes. Nothing reaches the store until either a
 * second part begins (then a multipart upload starts) or the body ends (then it is one PUT).
 */
class PartedUpload {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private uploadId: string | null = null;
  private readonly etags: { part: number; etag: string }[] = [];

  constructor(
    private readonly client: Client,
    private readonly bucket: string,
    private readonly key: string,
    private readonly partSize: number,
    private readonly target: string,
  ) {}

  async write(chunk: Buffer): Promise<void> {
    if (chunk.length === 0) return;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    // Strictly more than one part: a body of exactly partSize bytes is still a single PUT.
    while (this.pendingBytes > this.partSize) await this.uploadPart(this.take(this.partSize));
  }

  async finish(): Promise<void> {
    const rest = this.take(this.pendingBytes);
    if (this.uploadId === null) {
      await this.call('put', () => this.client.putObject(this.bucket, this.key, rest, rest.length));
      return;
    }
    await this.uploadPart(rest);
    const uploadId = this.uploadId;
    await this.call('complete of multipart upload', () => this.client.completeMultipartUpload(this.bucket, this.key, uploadId, this.etags));
    this.uploadId = null;
  }

  /** Best effort: an upload left behind is invisible to readers and is reclaimed by a bucket lifecycle rule. */
  async abort(): Promise<void> {
    this.pending = [];
    this.pendingBytes = 0;
    if (this.uploadId === null) return;
    const uploadId = this.uploadId;
    this.uploadId = null;
    await this.client.abortMultipartUpload(this.bucket, this.key, uploadId).catch(() => undefined);
  }

  private async uploadPart(data: Buffer): Promise<void> {
    const part = this.etags.length + 1;
    if (part > MAX_PARTS) throw new Error(`Blob exceeds ${MAX_PARTS} parts of ${this.partSize} bytes: ${this.target}`);
    this.uploadId ??= await this.call('start of multipart upload', () => this.client.initiateNewMultipartUpload(this.bucket, this.key, {}));
    const uploadID = this.uploadId;
    const { etag } = await this.call(`upload of part ${part}`, () =>
      this.client.uploadPart(
        {
          bucketName: this.bucket,
          objectName: this.key,
          uploadID,
          partNumber: part,
          headers: { 'Content-MD5': createHash('md5').update(data).digest('base64') },
        },
        data,
      ),
    );
    this.etags.push({ part, etag });
  }

  private async call<T>(operation: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      throw new MinioBlobStoreError(operation, this.target, error);
    }
  }

  private take(bytes: number): Buffer {
    const out = Buffer.allocUnsafe(bytes);
    let offset = 0;
    while (offset < bytes) {
      const head = this.pending[0];
      const needed = bytes - offset;
      if (head.length <= needed) {
        head.copy(out, offset);
        offset += head.length;
        this.pending.shift();
      } else {
        head.copy(out, offset, 0, needed);
        this.pending[0] = head.subarray(needed);
        offset += needed;
      }
    }
    this.pendingBytes -= bytes;
    return out;
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
