import type { KeyStore } from '@medrec/crypto';

/**
 * The key store of CLI commands that touch only PHI-free streams (users). Opening the real one
 * would require the master key, which an operator creating a user should not need; any use is a bug.
 */
export class NoPhiKeyStore implements KeyStore {
  create(): Promise<Buffer> {
    return this.refuse();
  }

  get(): Promise<Buffer | null> {
    return this.refuse();
  }

  getMany(): Promise<Map<string, Buffer | null>> {
    return this.refuse();
  }

  isDestroyed(): Promise<boolean> {
    return this.refuse();
  }

  destroy(): Promise<void> {
    return this.refuse();
  }

  destroyAll(): Promise<void> {
    return this.refuse();
  }

  async close(): Promise<void> {}

  private refuse(): Promise<never> {
    return Promise.reject(new Error('This command has no access to data keys: it must not read or write PHI'));
  }
}
