/** Raised when sealed data cannot be authenticated or decoded. The message never carries data. */
export class DecryptionError extends Error {
  constructor(message = 'Decryption failed: wrong key, wrong associated data, or tampered ciphertext') {
    super(message);
    this.name = 'DecryptionError';
  }
}

/** Start-up configuration problem with the master key. Never carries key material. */
export class MasterKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MasterKeyError';
  }
}

/** A key id that was destroyed can never be created again: its data must stay unreadable. */
export class KeyDestroyedError extends Error {
  constructor(readonly keyId: string) {
    super(`Key was destroyed and cannot be recreated: ${keyId}`);
    this.name = 'KeyDestroyedError';
  }
}
