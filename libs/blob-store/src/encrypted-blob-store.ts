import { createHash, timingSafeEqual } from 'node:crypto';
import { Readable, Transform, pipeline } from 'node:stream';
import { createDecryptStream, createEncryptStream } from '@medrec/crypto';
import type { BlobStore } from './blob-store.port';

export interface EncryptedBlobInfo {
  key: string;
  /** Hex SHA-256 of the plaintext: the document's fingerprint, recorded in its event. */
  sha256: string;
  /** Plaintext size in bytes. */
  size: number;
  /** Hex SHA-256 of the stored (encrypted) bytes, as the blob store reports it. */
  storedSha256: string;
  storedSize: number;
}

export class BlobIntegrityError extends Error {
  constructor(readonly key: string) {
    super(`Blob content does not match its recorded SHA-256: ${key}`);
    this.name = 'BlobIntegrityError';
  }
}

/**
 * Encrypts `body` with the record's data key while streaming it into the store. The blob key is
 * the associated data, so ciphertext copied to another key does not decrypt. Nothing is buffered whole.
 */
export async function putEncrypted(store: BlobStore, key: string, body: Readable | Buffer, dataKey: Buffer): Promise<EncryptedBlobInfo> {
  const hash = createHash('sha256');
  let size = 0;
  const measure = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      size += chunk.length;
      callback(null, chunk);
    },
  });
  const source = Buffer.isBuffer(body) ? Readable.from([body]) : body;
  // Set by the pipeline's callback; `as` keeps the compiler from assuming it stays null.
  let streamError = null as Error | null;
  // Errors reach the store too: pipeline destroys the last stream with them, which fails its put.
  const encrypted = pipeline(source, measure, createEncryptStream(dataKey, key), (error) => {
    if (error) streamError = error;
  });
  let stored;
  try {
    stored = await store.put(key, encrypted);
  } catch (error) {
    encrypted.destroy();
    throw streamError ?? error;
  }
  if (streamError) throw streamError;
  return { key, sha256: hash.digest('hex'), size, storedSha256: stored.sha256, storedSize: stored.size };
}

export interface GetDecryptedOptions {
  /** Plaintext SHA-256 recorded at upload; when given, the stream fails at its end on a mismatch. */
  expectedSha256?: string;
}

/**
 * The decrypted content as a stream. Bytes arrive before the GCM tag (at the end) is checked:
 * the stream fails with DecryptionError after the last byte if the content was altered, so
 * consume it to the end, and treat the content as trusted only once it ended without error.
 */
export async function getDecrypted(store: BlobStore, key: string, dataKey: Buffer, options: GetDecryptedOptions = {}): Promise<Readable> {
  const decrypt = createDecryptStream(dataKey, key);
  const stored = await store.get(key);
  // Errors are delivered to the consumer through the returned (last) stream, which pipeline destroys with them.
  const ignore = (): void => undefined;
  if (options.expectedSha256) return pipeline(stored, decrypt, verifySha256(key, options.expectedSha256), ignore);
  return pipeline(stored, decrypt, ignore);
}

function verifySha256(key: string, expectedHex: string): Transform {
  const hash = createHash('sha256');
  const expected = Buffer.from(expectedHex, 'hex');
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      callback(null, chunk);
    },
    flush(callback) {
      const actual = hash.digest();
      const matches = expected.length === actual.length && timingSafeEqual(expected, actual);
      callback(matches ? null : new BlobIntegrityError(key));
    },
  });
}
