import { open, seal } from './aes-gcm';
import { DecryptionError, MasterKeyError } from './errors';

/**
 * What every key store shares: which key ids are valid, how a data key is wrapped by the master key
 * (its id as associated data, so a wrapped key moved to another id does not unwrap), and the sealed
 * check value that tells at start-up whether the master key is the one the store was created with.
 */

const KEY_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/;
const CHECK_AAD = Buffer.from('medrec:key-store:master-key-check', 'utf8');
const CHECK_PLAINTEXT = Buffer.from('medrec key store', 'utf8');

/** Key ids are stream names: letters, digits and . _ : - (no path separators), 1 to 200 characters. */
export function assertKeyId(keyId: string): void {
  if (typeof keyId !== 'string' || !KEY_ID.test(keyId)) {
    throw new TypeError('A key id must be 1 to 200 characters of letters, digits and . _ : - (starting with a letter or digit)');
  }
}

export function wrapKey(masterKey: Buffer, keyId: string, key: Buffer): Buffer {
  return seal(masterKey, key, Buffer.from(keyId, 'utf8'));
}

/** The raw key; DecryptionError (naming the key id, never bytes) when it does not unwrap. */
export function unwrapKey(masterKey: Buffer, keyId: string, wrapped: Buffer): Buffer {
  try {
    return open(masterKey, wrapped, Buffer.from(keyId, 'utf8'));
  } catch (error) {
    if (error instanceof DecryptionError) throw new DecryptionError(`Stored data key cannot be unwrapped: ${keyId}`);
    throw error;
  }
}

/** A new check value, stored once when a key store is created. */
export function masterKeyCheck(masterKey: Buffer): Buffer {
  return seal(masterKey, CHECK_PLAINTEXT, CHECK_AAD);
}

export function verifyMasterKeyCheck(masterKey: Buffer, check: Buffer): void {
  try {
    open(masterKey, check, CHECK_AAD);
  } catch {
    throw new MasterKeyError('The master key does not match the one this key store was created with');
  }
}
