import Database from '@medrec/sqlite';
import { randomBytes } from 'node:crypto';
import { KEY_LENGTH, assertKey } from './aes-gcm';
import { KeyDestroyedError } from './errors';
import { KeyExistsError, type KeyStore } from './key-store.port';
import { assertKeyId, masterKeyCheck, unwrapKey, verifyMasterKeyCheck, wrapKey } from './key-wrapping';
import { makePrivateDatabaseFileSync } from './private-files';

export interface SqliteKeyStoreOptions {
  /** Database file, e.g. `<dataDir>/keys.db`. Kept apart from the event store so it can be shredded on its own. */
  file: string;
  masterKey: Buffer;
  /** Unwrapped keys kept in memory (least recently used evicted). Default 10 000. */
  cacheSize?: number;
}

/**
 * Per-record data keys in SQLite, each wrapped (AES-256-GCM) by the master key with its key id as
 * associated data, so a wrapped key moved to another row does not unwrap.
 *
 * Shredding: secure_delete overwrites the deleted row in the database file, and the TRUNCATE
 * checkpoint after each destroy (or destroyAll) empties the WAL, which still held the page written
 * at creation.
 * What the filesystem or storage layer keeps of freed blocks is outside SQLite's reach.
 */
export class SqliteKeyStore implements KeyStore {
  private readonly db: Database.Database;
  private readonly masterKey: Buffer;
  private readonly cache = new Map<string, Buffer>();
  private readonly cacheSize: number;
  private readonly statements: {
    select: Database.Statement<[string], { wrapped: Buffer }>;
    insert: Database.Statement<[string, Buffer, string]>;
    remove: Database.Statement<[string]>;
    isDestroyed: Database.Statement<[string], { one: number }>;
    markDestroyed: Database.Statement<[string, string]>;
  };

  constructor(options: SqliteKeyStoreOptions) {
    assertKey(options.masterKey);
    this.masterKey = Buffer.from(options.masterKey);
    this.cacheSize = options.cacheSize ?? 10_000;
    makePrivateDatabaseFileSync(options.file);
    this.db = new Database(options.file);
    try {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      this.db.pragma('secure_delete = ON');
      this.db.exec(`
        CREATE TABLE IF NOT EXISTS data_keys (
          key_id TEXT PRIMARY KEY,
          wrapped BLOB NOT NULL,
          created_at TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS destroyed_keys (
          key_id TEXT PRIMARY KEY,
          destroyed_at TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS key_store_meta (
          name TEXT PRIMARY KEY,
          value BLOB NOT NULL
        );
      `);
      this.verifyMasterKey();
      // A process killed between a destruction's commit and its WAL truncation left the WAL as it
      // was (with the key's page as created): truncate it now (unless another process is reading;
      // its own destructions truncate it then).
      this.walTruncated();
      this.statements = {
        select: this.db.prepare('SELECT wrapped FROM data_keys WHERE key_id = ?'),
        insert: this.db.prepare('INSERT INTO data_keys (key_id, wrapped, created_at) VALUES (?, ?, ?)'),
        remove: this.db.prepare('DELETE FROM data_keys WHERE key_id = ?'),
        isDestroyed: this.db.prepare('SELECT 1 AS one FROM destroyed_keys WHERE key_id = ?'),
        markDestroyed: this.db.prepare('INSERT OR IGNORE INTO destroyed_keys (key_id, destroyed_at) VALUES (?, ?)'),
      };
    } catch (error) {
      this.db.close();
      throw error;
    }
  }

  async create(keyId: string): Promise<Buffer> {
    assertKeyId(keyId);
    const key = randomBytes(KEY_LENGTH);
    const wrapped = wrapKey(this.masterKey, keyId, key);
    this.db.transaction(() => {
      if (this.statements.isDestroyed.get(keyId)) throw new KeyDestroyedError(keyId);
      try {
        this.statements.insert.run(keyId, wrapped, new Date().toISOString());
      } catch (error) {
        if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new KeyExistsError(keyId);
        throw error;
      }
    })();
    const copy = Buffer.from(key);
    this.remember(keyId, key);
    return copy;
  }

  async get(keyId: string): Promise<Buffer | null> {
    return this.getNow(keyId);
  }

  /**
   * Synchronous here (SQLite): a rebuild's batch of thousands of keys without a turn of the event
   * loop each. Keys read for it are not cached: a replay reads each record's key once, and would
   * only push the live requests' keys out of the cache.
   */
  async getMany(keyIds: readonly string[]): Promise<Map<string, Buffer | null>> {
    const keys = new Map<string, Buffer | null>();
    try {
      for (const keyId of keyIds) if (!keys.has(keyId)) keys.set(keyId, this.getNow(keyId, false));
    } catch (error) {
      for (const key of keys.values()) key?.fill(0);
      throw error;
    }
    return keys;
  }

  private getNow(keyId: string, cacheIt = true): Buffer | null {
    assertKeyId(keyId);
    const cached = this.cache.get(keyId);
    if (cached) {
      this.cache.delete(keyId);
      this.cache.set(keyId, cached);
      return Buffer.from(cached);
    }
    const row = this.statements.select.get(keyId);
    if (!row) return null;
    const key = unwrapKey(this.masterKey, keyId, row.wrapped);
    if (!cacheIt) return key;
    const copy = Buffer.from(key);
    this.remember(keyId, key);
    return copy;
  }

  async isDestroyed(keyId: string): Promise<boolean> {
    assertKeyId(keyId);
    return this.statements.isDestroyed.get(keyId) !== undefined;
  }

  /** Idempotent: destroying again (or a key that never existed) re-runs the WAL truncation. */
  async destroy(keyId: string): Promise<void> {
    return this.destroyAll([keyId]);
  }

  /**
   * Several keys in one transaction, then one WAL truncation for them all (the truncation, two
   * fsyncs, is what a destruction costs). When it resolves, none of them is left in either file.
   */
  async destroyAll(keyIds: readonly string[]): Promise<void> {
    for (const keyId of keyIds) assertKeyId(keyId);
    for (const keyId of keyIds) this.forget(keyId);
    const at = new Date().toISOString();
    this.db.transaction(() => {
      for (const keyId of keyIds) {
        this.statements.remove.run(keyId);
        this.statements.markDestroyed.run(keyId, at);
      }
    })();
    this.truncateWal();
  }

  async close(): Promise<void> {
    for (const key of this.cache.values()) key.fill(0);
    this.cache.clear();
    this.masterKey.fill(0);
    if (this.db.open) this.db.close();
  }

  private truncateWal(): void {
    if (!this.walTruncated()) {
      // Another connection holds a read snapshot; the caller may retry destroy (it is idempotent).
      throw new Error('Key store WAL could not be truncated after destroy (database busy); retry the destroy');
    }
  }

  /** Checkpoints and truncates the WAL; false when another connection's read kept it busy. */
  private walTruncated(): boolean {
    const [result] = this.db.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number }>;
    return !result?.busy;
  }

  private verifyMasterKey(): void {
    const row = this.db.prepare("SELECT value FROM key_store_meta WHERE name = 'master_key_check'").get() as { value: Buffer } | undefined;
    if (!row) {
      this.db.prepare("INSERT INTO key_store_meta (name, value) VALUES ('master_key_check', ?)").run(masterKeyCheck(this.masterKey));
      return;
    }
    verifyMasterKeyCheck(this.masterKey, row.value);
  }

  private remember(keyId: string, key: Buffer): void {
    this.forget(keyId);
    this.cache.set(keyId, key);
    if (this.cache.size > this.cacheSize) this.evictOldest();
  }

  /**
   * Down to seven eighths of the cache size (at least the newest key kept), oldest first, in one
   * pass. Evicted one at a time, each eviction walked past every slot the evictions before it had
   * emptied at the front of the Map (V8 compacts a Map only when it grows): 100,000 keys read
   * through a full cache spent ~0.5 s on that walk alone.
   */
  private evictOldest(): void {
    let excess = this.cache.size - Math.max(1, Math.floor((this.cacheSize * 7) / 8));
    for (const [id, key] of this.cache) {
      if (excess-- <= 0) break;
      key.fill(0);
      this.cache.delete(id);
    }
  }

  private forget(keyId: string): void {
    const key = this.cache.get(keyId);
    if (key) {
      key.fill(0);
      this.cache.delete(keyId);
    }
  }
}
