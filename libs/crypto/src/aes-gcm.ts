import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { DecryptionError } from './errors';

/** Layout of a sealed buffer: version (1) | IV (12) | ciphertext | tag (16). */
export const SEAL_VERSION = 1;
export const KEY_LENGTH = 32;
export const IV_LENGTH = 12;
export const TAG_LENGTH = 16;
const HEADER_LENGTH = 1 + IV_LENGTH;
const ALGORITHM = 'aes-256-gcm';

export function assertKey(key: Buffer): void {
  if (!Buffer.isBuffer(key) || key.length !== KEY_LENGTH) {
    throw new TypeError(`An AES-256 key must be a Buffer of ${KEY_LENGTH} bytes`);
  }
}

export function seal(key: Buffer, plaintext: Buffer, aad?: Buffer): Buffer {
  assertKey(key);
  const iv = randomBytes(IV_LENGTH);
  const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_LENGTH });
  if (aad) cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.of(SEAL_VERSION), iv, body, cipher.getAuthTag()]);
}

export function open(key: Buffer, sealed: Buffer, aad?: Buffer): Buffer {
  assertKey(key);
  if (!Buffer.isBuffer(sealed) || sealed.length < HEADER_LENGTH + TAG_LENGTH) {
    throw new DecryptionError('Decryption failed: sealed data is truncated');
  }
  if (sealed[0] !== SEAL_VERSION) {
    throw new DecryptionError('Decryption failed: unsupported format version');
  }
  const iv = sealed.subarray(1, HEADER_LENGTH);
  const body = sealed.subarray(HEADER_LENGTH, sealed.length - TAG_LENGTH);
  const tag = sealed.subarray(sealed.length - TAG_LENGTH);
  try {
    const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_LENGTH });
    if (aad) decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    throw new DecryptionError();
  }
}

/** Seals UTF-8 text; the result is base64. */
export function sealString(key: Buffer, plaintext: string, aad?: string | Buffer): string {
  return seal(key, Buffer.from(plaintext, 'utf8'), toAad(aad)).toString('base64');
}

export function openString(key: Buffer, sealedBase64: string, aad?: string | Buffer): string {
  return open(key, decodeBase64(sealedBase64), toAad(aad)).toString('utf8');
}

export function toAad(aad: string | Buffer | undefined): Buffer | undefined {
  return typeof aad === 'string' ? Buffer.from(aad, 'utf8') : aad;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Strict base64: Node's decoder silently skips garbage, which would hide corruption. */
export function decodeBase64(text: string): Buffer {
  if (typeof text !== 'string' || !BASE64.test(text)) {
    throw new DecryptionError('Decryption failed: sealed text is not valid base64');
  }
  return Buffer.from(text, 'base64');
}
