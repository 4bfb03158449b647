import Database from '@medrec/sqlite';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyDestroyedError } from './errors';
import { describeKeyStoreConformance } from './key-store.conformance';
import { SqliteKeyStore } from './sqlite-key-store';

describeKeyStoreConformance(
  'SQLite',
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'medrec-keys-'));
    const file = join(dir, 'keys.db');
    const masterKey = randomBytes(32);
    const query = <T>(run: (db: Database.Database) => T): T => {
      const db = new Database(file);
      try {
        return run(db);
      } finally {
        db.close();
      }
    };
    return {
      masterKey,
      store: new SqliteKeyStore({ file, masterKey }),
      open: async (key) => new SqliteKeyStore({ file, masterKey: key }),
      storedBytes: async () => Buffer.concat([file, `${file}-wal`, `${file}-shm`, `${file}-journal`].filter(existsSync).map((path) => readFileSync(path))),
      storedKeyIds: async () => query((db) => (db.prepare('SELECT key_id FROM data_keys').all() as { key_id: string }[]).map((row) => row.key_id)),
      wrappedOf: async (keyId) => query((db) => (db.prepare('SELECT wrapped FROM data_keys WHERE key_id = ?').get(keyId) as { wrapped: Buffer }).wrapped),
      replaceWrapped: async (keyId, wrapped) => void query((db) => db.prepare('UPDATE data_keys SET wrapped = ? WHERE key_id = ?').run(wrapped, keyId)),
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    };
  },
  { exclusiveAcrossInstances: true },
);

describe('SqliteKeyStore', () => {
  let dir: string;
  let file: string;
  let masterKey: Buffer;
  let store: SqliteKeyStore;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'medrec-keys-'));
    file = join(dir, 'keys.db');
    masterKey = randomBytes(32);
    store = new SqliteKeyStore({ file, masterKey });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Everything SQLite has on disk for this database. */
  function diskBytes(): Buffer {
    return Buffer.concat([file, `${file}-wal`, `${file}-shm`, `${file}-journal`].filter(existsSync).map((path) => readFileSync(path)));
  }

  function wrappedOf(keyId: string): Buffer {
    const reader = new Database(file, { readonly: true });
    try {
      const row = reader.prepare('SELECT wrapped FROM data_keys WHERE key_id = ?').get(keyId) as { wrapped: Buffer };
      return row.wrapped;
    } finally {
      reader.close();
    }
  }

  it('keeps keys across restarts, wrapped rather than in clear', async () => {
    const id = randomUUID();
    const key = await store.create(id);
    expect(diskBytes().includes(key)).toBe(false);
    await store.close();
    store = new SqliteKeyStore({ file, masterKey });
    expect(await store.get(id)).toEqual(key);
  });

  it('destroys a key: gone from the cache, recorded as destroyed, never recreated', async () => {
    const id = randomUUID();
    const other = randomUUID();
    await store.create(id);
    const otherKey = await store.create(other);
    expect(await store.get(id)).not.toBeNull(); // now cached
    await store.destroy(id);
    expect(await store.get(id)).toBeNull();
    expect(await store.isDestroyed(id)).toBe(true);
    await expect(store.create(id)).rejects.toBeInstanceOf(KeyDestroyedError);
    await store.destroy(id); // idempotent
    expect(await store.get(other)).toEqual(otherKey);
  });

  it('leaves neither the raw nor the wrapped key anywhere in the database or WAL files', async () => {
    const id = randomUUID();
    const keep = randomUUID();
    const key = await store.create(id);
    await store.create(keep);
    const wrapped = wrappedOf(id);
    // Sanity check of the search itself: before destroy, the wrapped key is on disk.
    expect(diskBytes().includes(wrapped)).toBe(true);

    await store.destroy(id);

    const bytes = diskBytes();
    expect(bytes.includes(wrapped)).toBe(false);
    expect(bytes.includes(wrapped.subarray(13, 45))).toBe(false); // the encrypted key body alone
    expect(bytes.includes(key)).toBe(false);
    expect(existsSync(`${file}-wal`) ? readFileSync(`${file}-wal`).length : 0).toBe(0);
    const reader = new Database(file, { readonly: true });
    expect(reader.prepare('SELECT * FROM destroyed_keys').all()).toEqual([{ key_id: id, destroyed_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) }]);
    reader.close();
  });

  it('still leaves no trace when many keys share pages and the destroyed one was read after a restart', async () => {
    const ids = Array.from({ length: 50 }, () => randomUUID());
    for (const id of ids) await store.create(id);
    const victim = ids[25];
    await store.close();
    store = new SqliteKeyStore({ file, masterKey });
    const key = (await store.get(victim))!;
    const wrapped = wrappedOf(victim);
    await store.destroy(victim);
    const bytes = diskBytes();
    expect(bytes.includes(wrapped)).toBe(false);
    expect(bytes.includes(key)).toBe(false);
    for (const id of ids.filter((id) => id !== victim)) expect(await store.get(id)).not.toBeNull();
  });

  it('destroys several keys at once: none of them left in either file, the others kept', async () => {
    const ids = Array.from({ length: 40 }, () => randomUUID());
    const keys = new Map<string, Buffer>();
    for (const id of ids) keys.set(id, await store.create(id));
    const victims = ids.filter((_, i) => i % 3 === 0);
    const wrapped = victims.map(wrappedOf);
    await store.destroyAll([...victims, victims[0]]); // a repeated id, and idempotent below
    await store.destroyAll(victims);
    const bytes = diskBytes();
    for (const [i, victim] of victims.entries()) {
      expect(bytes.includes(wrapped[i])).toBe(false);
      expect(bytes.includes(keys.get(victim)!)).toBe(false);
      expect(await store.isDestroyed(victim)).toBe(true);
      expect(await store.get(victim)).toBeNull();
    }
    expect(existsSync(`${file}-wal`) ? readFileSync(`${file}-wal`).length : 0).toBe(0);
    for (const id of ids.filter((id) => !victims.includes(id))) expect(await store.get(id)).toEqual(keys.get(id));
  });

  it('truncates a WAL left behind (a process killed before its truncation) when it opens', async () => {
    const id = randomUUID();
    await store.create(id);
    const wrapped = wrappedOf(id);
    // As a kill between the destruction's commit and its truncation leaves the files: deleted, WAL kept.
    const other = new Database(file);
    other.pragma('secure_delete = ON');
    other.pragma('wal_autocheckpoint = 0');
    other.prepare('DELETE FROM data_keys WHERE key_id = ?').run(id);
    expect(readFileSync(`${file}-wal`).includes(wrapped)).toBe(true);
    const reopened = new SqliteKeyStore({ file, masterKey });
    try {
      expect(diskBytes().includes(wrapped)).toBe(false);
    } finally {
      await reopened.close();
      other.close();
    }
  });

  it('evicts least recently used keys beyond the cache size and still serves them', async () => {
    await store.close();
    store = new SqliteKeyStore({ file, masterKey, cacheSize: 2 });
    const keys = new Map<string, Buffer>();
    for (let i = 0; i < 5; i++) {
      const id = randomUUID();
      keys.set(id, await store.create(id));
    }
    for (const [id, key] of keys) expect(await store.get(id)).toEqual(key);
  });
});

describe('SqliteKeyStore file permissions', () => {
  it('creates its database owner-only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'medrec-keys-'));
    const file = join(dir, 'nested', 'keys.db');
    const store = new SqliteKeyStore({ file, masterKey: randomBytes(32) });
    await store.create(randomUUID());
    for (const path of [file, `${file}-wal`]) expect(statSync(path).mode & 0o777).toBe(0o600);
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
