/** Per-record data keys (crypto-shredding). Keys are stored wrapped by the master key;
 * destroying a key must leave no recoverable copy in the store's files. */
export interface KeyStore {
  /** Creates the key for `keyId`; fails with KeyExistsError when one exists. Returns the raw 32-byte key. */
  create(keyId: string): Promise<Buffer>;
  /** The raw key, or null when it never existed or was destroyed. A copy: the caller may (and should) overwrite it when done. */
  get(keyId: string): Promise<Buffer | null>;
  /**
   * get() of several keys at once (a projection batch's): each id once in the map, its key as get()
   * gives it (a copy, or null). For a store, without a round trip per key where it can.
   */
  getMany(keyIds: readonly string[]): Promise<Map<string, Buffer | null>>;
  /** True once the key has been destroyed (distinguishes shredded from never created). */
  isDestroyed(keyId: string): Promise<boolean>;
  destroy(keyId: string): Promise<void>;
  /** destroy() of several keys at once (for a store, one write and one flush); once it resolves every one is gone. */
  destroyAll(keyIds: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

export class KeyExistsError extends Error {
  constructor(readonly keyId: string) {
    super(`Key already exists: ${keyId}`);
    this.name = 'KeyExistsError';
  }
}

export const KEY_STORE = Symbol('KEY_STORE');
