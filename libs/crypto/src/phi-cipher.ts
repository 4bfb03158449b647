import { decodeBase64, open, seal } from './aes-gcm';
import { DecryptionError } from './errors';

const PREFIX = 'v1.';

/**
 * Encrypts an event's PHI fields with the record's data key. The record id is the associated
 * data, so a blob copied into another record's event does not decrypt. Fields must be JSON values
 * (they go through JSON.stringify: Dates become strings, undefined properties disappear).
 */
export function encryptPhi(key: Buffer, recordId: string, fields: Record<string, unknown>): string {
  if (fields === null || typeof fields !== 'object' || Array.isArray(fields)) {
    throw new TypeError('PHI fields must be a plain object');
  }
  const plaintext = Buffer.from(JSON.stringify(fields), 'utf8');
  return PREFIX + seal(key, plaintext, aadFor(recordId)).toString('base64');
}

export function decryptPhi(key: Buffer, recordId: string, blob: string): Record<string, unknown> {
  if (typeof blob !== 'string' || !blob.startsWith(PREFIX)) {
    throw new DecryptionError('Decryption failed: not an encrypted PHI value of a known version');
  }
  const plaintext = open(key, decodeBase64(blob.slice(PREFIX.length)), aadFor(recordId));
  let fields: unknown;
  try {
    fields = JSON.parse(plaintext.toString('utf8'));
  } catch {
    throw new DecryptionError('Decryption failed: decrypted PHI is not valid JSON');
  }
  if (fields === null || typeof fields !== 'object' || Array.isArray(fields)) {
    throw new DecryptionError('Decryption failed: decrypted PHI is not an object');
  }
  return fields as Record<string, unknown>;
}

export function isEncryptedPhi(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(PREFIX);
}

function aadFor(recordId: string): Buffer {
  if (typeof recordId !== 'string' || recordId.length === 0) throw new TypeError('A record id is required');
  return Buffer.from(recordId, 'utf8');
}
