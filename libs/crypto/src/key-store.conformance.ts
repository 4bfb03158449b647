import { randomBytes, randomUUID } from 'node:crypto';
import { KeyDestroyedError, MasterKeyError } from './errors';
import { KeyExistsError, type KeyStore } from './key-store.port';

/** One fresh, empty store (its own files or bucket) and what the suite needs to look at its storage directly. */
export interface KeyStoreFixture {
  masterKey: Buffer;
  store: KeyStore;
  /** Opens another instance on the same storage (as a restart or a second process does). */
  open(masterKey: Buffer): Promise<KeyStore>;
  /** Every byte the storage holds at rest (all files, or all objects' names and contents), concatenated. */
  storedBytes(): Promise<Buffer>;
  /** The key ids of which a wrapped key is stored (rows, objects), read from the storage itself. */
  storedKeyIds(): Promise<string[]>;
  /** The stored (wrapped) form of a key, read from the storage itself. */
  wrappedOf(keyId: string): Promise<Buffer>;
  /** Overwrites the stored form of a key directly in the storage, as an attacker with access to it could. */
  replaceWrapped(keyId: string, wrapped: Buffer): Promise<void>;
  cleanup(): Promise<void>;
}

/**
 * The behaviour every KeyStore adapter must show: destroy = gone (no stored trace of the key, only
 * the fact of its destruction), a wrapped key never readable without the master key, creation once.
 */
export function describeKeyStoreConformance(
  name: string,
  factory: () => Promise<KeyStoreFixture>,
  /** Whether two instances (processes) creating one key id at the same moment are refused but one; where false, the test is skipped. */
  options: { exclusiveAcrossInstances: boolean },
): void {
  describe(`KeyStore conformance: ${name}`, () => {
    let fixture: KeyStoreFixture;
    let store: KeyStore;
    const others: KeyStore[] = [];

    const openAgain = async (masterKey = fixture.masterKey): Promise<KeyStore> => {
      const other = await fixture.open(masterKey);
      others.push(other);
      return other;
    };

    beforeEach(async () => {
      fixture = await factory();
      store = fixture.store;
    });
    afterEach(async () => {
      for (const other of others.splice(0)) await other.close();
      await store.close();
      await fixture.cleanup();
    });

    it('creates random 32-byte keys, hands them out again, as copies', async () => {
      const id = randomUUID();
      const key = await store.create(id);
      expect(key).toHaveLength(32);
      expect(await store.create(randomUUID())).not.toEqual(key);
      const copy = Buffer.from(key);
      key.fill(0);
      (await store.get(id))!.fill(0);
      expect(await store.get(id)).toEqual(copy);
      expect(await store.isDestroyed(id)).toBe(false);
    });

    it('hands out several keys at once (getMany): each id once, as get() gives it, copies, null for none or destroyed', async () => {
      const [a, b, gone, never] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
      const keyA = await store.create(a);
      const keyB = await store.create(b);
      await store.create(gone);
      await store.destroy(gone);
      // From another instance too: nothing of it comes from the creating instance's memory.
      for (const from of [store, await openAgain()]) {
        const keys = await from.getMany([a, never, b, a, gone]);
        expect([...keys.keys()].sort()).toEqual([a, b, gone, never].sort());
        expect(keys.get(a)).toEqual(keyA);
        expect(keys.get(b)).toEqual(keyB);
        expect(keys.get(gone)).toBeNull();
        expect(keys.get(never)).toBeNull();
        keys.get(a)!.fill(0);
        expect(await from.get(a)).toEqual(keyA);
      }
      expect(await store.getMany([])).toEqual(new Map());
      await expect(store.getMany([a, 'a/b'])).rejects.toThrow(TypeError);
    });

    it('answers null and not destroyed for a key that never existed', async () => {
      expect(await store.get(randomUUID())).toBeNull();
      expect(await store.isDestroyed(randomUUID())).toBe(false);
    });

    it('refuses to create a key twice (KeyExistsError), also from another instance, and keeps the first', async () => {
      const id = randomUUID();
      const key = await store.create(id);
      await expect(store.create(id)).rejects.toBeInstanceOf(KeyExistsError);
      const other = await openAgain();
      await expect(other.create(id)).rejects.toBeInstanceOf(KeyExistsError);
      expect(await store.get(id)).toEqual(key);
      expect(await other.get(id)).toEqual(key);
    });

    it('refuses two overlapping creations of one key id in one instance: exactly one succeeds', async () => {
      const id = randomUUID();
      const results = await Promise.allSettled([store.create(id), store.create(id)]);
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
      const refused = results.find((result) => result.status === 'rejected') as PromiseRejectedResult;
      expect(refused.reason).toBeInstanceOf(KeyExistsError);
      const created = (results.find((result) => result.status === 'fulfilled') as PromiseFulfilledResult<Buffer>).value;
      expect(await store.get(id)).toEqual(created);
    });

    (options.exclusiveAcrossInstances ? it : it.skip)('refuses overlapping creations of one key id from several instances: exactly one succeeds', async () => {
      const instances = [store, await openAgain(), await openAgain(), await openAgain()];
      for (let round = 0; round < 5; round++) {
        const id = randomUUID();
        const results = await Promise.allSettled(instances.map((instance) => instance.create(id)));
        const created = results.filter((result): result is PromiseFulfilledResult<Buffer> => result.status === 'fulfilled');
        expect(created).toHaveLength(1);
        for (const result of results) if (result.status === 'rejected') expect(result.reason).toBeInstanceOf(KeyExistsError);
        for (const instance of instances) expect(await instance.get(id)).toEqual(created[0].value);
      }
    });

    it('keeps keys for another instance on the same storage, wrapped: the stored bytes never contain a raw key', async () => {
      const ids = [randomUUID(), randomUUID(), randomUUID()];
      const keys = await Promise.all(ids.map((id) => store.create(id)));
      const bytes = await fixture.storedBytes();
      for (const [i, id] of ids.entries()) {
        expect(bytes.includes(keys[i])).toBe(false);
        // The search itself works: the wrapped form is there.
        expect(bytes.includes(await fixture.wrappedOf(id))).toBe(true);
      }
      const other = await openAgain();
      for (const [i, id] of ids.entries()) expect(await other.get(id)).toEqual(keys[i]);
    });

    it('refuses to open with another master key (MasterKeyError)', async () => {
      await store.create(randomUUID());
      await expect(fixture.open(randomBytes(32))).rejects.toBeInstanceOf(MasterKeyError);
    });

    it('binds each wrapped key to its id: a wrapped key moved to another id does not unwrap', async () => {
      const a = randomUUID();
      const b = randomUUID();
      await store.create(a);
      await store.create(b);
      await fixture.replaceWrapped(b, await fixture.wrappedOf(a));
      const other = await openAgain(); // no cached copy of b
      await expect(other.get(b)).rejects.toThrow(/cannot be unwrapped/);
    });

    it('destroys a key: gone (null), destroyed, never recreated, nothing of it stored; the other keys kept', async () => {
      const id = randomUUID();
      const keep = randomUUID();
      const key = await store.create(id);
      const kept = await store.create(keep);
      expect(await store.get(id)).toEqual(key); // read once, so any cache holds it
      const wrapped = await fixture.wrappedOf(id);
      expect((await fixture.storedBytes()).includes(wrapped)).toBe(true);

      await store.destroy(id);

      expect(await store.get(id)).toBeNull();
      expect(await store.isDestroyed(id)).toBe(true);
      await expect(store.create(id)).rejects.toBeInstanceOf(KeyDestroyedError);
      await store.destroy(id); // idempotent
      expect(await fixture.storedKeyIds()).toEqual([keep]);
      const bytes = await fixture.storedBytes();
      expect(bytes.includes(wrapped)).toBe(false);
      expect(bytes.includes(wrapped.subarray(13, 45))).toBe(false); // the encrypted key body alone
      expect(bytes.includes(key)).toBe(false);
      const other = await openAgain();
      expect(await other.get(id)).toBeNull();
      expect(await other.isDestroyed(id)).toBe(true);
      await expect(other.create(id)).rejects.toBeInstanceOf(KeyDestroyedError);
      expect(await other.get(keep)).toEqual(kept);
    });

    it('destroys a key that never existed: destroyed from then on, never created', async () => {
      const id = randomUUID();
      await store.destroy(id);
      expect(await store.isDestroyed(id)).toBe(true);
      await expect(store.create(id)).rejects.toBeInstanceOf(KeyDestroyedError);
    });

    it('destroys many keys at once (destroyAll): every one gone, repeats allowed, the others kept', async () => {
      const ids = Array.from({ length: 30 }, () => randomUUID());
      const keys = new Map<string, Buffer>();
      for (const id of ids) keys.set(id, await store.create(id));
      const victims = ids.filter((_, i) => i % 3 === 0);
      const wrapped = await Promise.all(victims.map((id) => fixture.wrappedOf(id)));
      await store.destroyAll([...victims, victims[0]]);
      await store.destroyAll(victims);
      await store.destroyAll([]);
      const bytes = await fixture.storedBytes();
      for (const [i, victim] of victims.entries()) {
        expect(bytes.includes(wrapped[i])).toBe(false);
        expect(bytes.includes(keys.get(victim)!)).toBe(false);
        expect(await store.isDestroyed(victim)).toBe(true);
        expect(await store.get(victim)).toBeNull();
      }
      const survivors = ids.filter((id) => !victims.includes(id));
      expect((await fixture.storedKeyIds()).sort()).toEqual([...survivors].sort());
      for (const id of survivors) expect(await store.get(id)).toEqual(keys.get(id));
    });

    it('validates key ids', async () => {
      for (const bad of ['', 'a'.repeat(201), '../keys/x', 'a/b', ' padded', 'new\nline', 'ünïcode', 42 as unknown as string]) {
        await expect(store.create(bad)).rejects.toThrow(TypeError);
        await expect(store.get(bad)).rejects.toThrow(TypeError);
        await expect(store.isDestroyed(bad)).rejects.toThrow(TypeError);
        await expect(store.destroy(bad)).rejects.toThrow(TypeError);
        await expect(store.destroyAll([randomUUID(), bad])).rejects.toThrow(TypeError);
      }
      for (const good of ['a', 'record-0b9f1f0e-7a3c-4a63-9d0e-1b2c3d4e5f60', 'query-audit-2026-12-06', 'x'.repeat(200), 'a.b_c:d']) {
        expect(await store.create(good)).toHaveLength(32);
      }
      expect(await fixture.storedKeyIds()).toHaveLength(5);
    });

    it('closes: the data keys it held are no longer handed out', async () => {
      const id = randomUUID();
      const key = await store.create(id);
      await store.close();
      await store.close(); // idempotent
      await expect(store.get(id)).rejects.toThrow();
      await expect(store.create(randomUUID())).rejects.toThrow();
      const other = await openAgain();
      expect(await other.get(id)).toEqual(key);
    });
  });
}
