import { createCipheriv, createDecipheriv, randomBytes, type CipherGCM, type DecipherGCM } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { IV_LENGTH, TAG_LENGTH, assertKey, toAad } from './aes-gcm';
import { DecryptionError } from './errors';

/**
 * Streaming AES-256-GCM for blob content.
 *
 * Format: version (1 byte, 0x01) | IV (12) | ciphertext (same length as the plaintext) | tag (16).
 *
 * GCM authenticates only at the end: the decrypt stream emits plaintext as it goes and fails with
 * a DecryptionError after the last byte if the tag does not verify. A consumer therefore sees
 * bytes that are not yet authenticated. Callers that must not act on unverified content (parse,
 * rasterize, OCR) should buffer to a temporary file and check the stream's error, or the
 * plaintext SHA-256 recorded at upload, before using it.
 */
export const STREAM_VERSION = 1;
export const STREAM_HEADER_LENGTH = 1 + IV_LENGTH;
export const STREAM_OVERHEAD = STREAM_HEADER_LENGTH + TAG_LENGTH;
/** GCM's limit for one key/IV pair is 2^39 - 256 bits; stay well below it. */
const MAX_PLAINTEXT_BYTES = 2 ** 36 - 64;
const ALGORITHM = 'aes-256-gcm';

export function createEncryptStream(key: Buffer, aad: string | Buffer): Transform {
  assertKey(key);
  const iv = randomBytes(IV_LENGTH);
  const cipher: CipherGCM = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_LENGTH });
  cipher.setAAD(toAad(aad)!);
  let total = 0;
  let headerSent = false;
  const header = Buffer.concat([Buffer.of(STREAM_VERSION), iv]);
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      total += chunk.length;
      if (total > MAX_PLAINTEXT_BYTES) return callback(new RangeError('Stream too large for a single AES-GCM encryption'));
      if (!headerSent) {
        headerSent = true;
        this.push(header);
      }
      callback(null, cipher.update(chunk));
    },
    flush(callback: TransformCallback) {
      if (!headerSent) this.push(header);
      const rest = cipher.final();
      if (rest.length > 0) this.push(rest);
      callback(null, cipher.getAuthTag());
    },
  });
}

export function createDecryptStream(key: Buffer, aad: string | Buffer): Transform {
  assertKey(key);
  const aadBuffer = toAad(aad)!;
  let header: Buffer = Buffer.alloc(0);
  let decipher: DecipherGCM | null = null;
  // The tag is the last 16 bytes, but the end is only known at flush: always hold back 16.
  let tail: Buffer = Buffer.alloc(0);

  function start(headerBytes: Buffer): DecipherGCM {
    if (headerBytes[0] !== STREAM_VERSION) throw new DecryptionError('Decryption failed: unsupported stream format version');
    const next = createDecipheriv(ALGORITHM, key, headerBytes.subarray(1, STREAM_HEADER_LENGTH), {
      authTagLength: TAG_LENGTH,
    });
    next.setAAD(aadBuffer);
    return next;
  }

  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      try {
        if (!decipher) {
          const needed = STREAM_HEADER_LENGTH - header.length;
          header = Buffer.concat([header, chunk.subarray(0, needed)]);
          chunk = chunk.subarray(needed);
          if (header.length < STREAM_HEADER_LENGTH) return callback();
          decipher = start(header);
        }
        if (chunk.length >= TAG_LENGTH) {
          const body = chunk.subarray(0, chunk.length - TAG_LENGTH);
          const out = Buffer.concat([decipher.update(tail), decipher.update(body)]);
          // Copy so the held-back bytes do not pin the whole (possibly large) chunk in memory.
          tail = Buffer.from(chunk.subarray(chunk.length - TAG_LENGTH));
          return callback(null, out.length > 0 ? out : undefined);
        }
        const joined = Buffer.concat([tail, chunk]);
        const release = joined.length - TAG_LENGTH;
        if (release > 0) {
          tail = joined.subarray(release);
          return callback(null, decipher.update(joined.subarray(0, release)));
        }
        tail = joined;
        callback();
      } catch (error) {
        callback(error instanceof DecryptionError ? error : new DecryptionError());
      }
    },
    flush(callback: TransformCallback) {
      if (!decipher || tail.length < TAG_LENGTH) {
        return callback(new DecryptionError('Decryption failed: encrypted stream is truncated'));
      }
      try {
        decipher.setAuthTag(tail);
        const rest = decipher.final();
        callback(null, rest.length > 0 ? rest : undefined);
      } catch {
        callback(new DecryptionError());
      }
    },
  });
}
