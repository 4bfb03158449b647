import type { Readable } from 'node:stream';
import { BlobInfo, BlobNotFoundError, BlobStore } from './blob-store.port';

/** Where archived content goes in fs mode (and in a MinIO bucket without MINIO_ARCHIVE_BUCKET): the same store, under this prefix. */
export const ARCHIVE_PREFIX = 'archive/';

/**
 * The blob store as the application uses it: the live store, and an archive location where
 * archived records' content is moved (`moveToArchive`). A key keeps its name: in the archive it is
 * `<archivePrefix><key>` (`archive/records/<id>/…` in fs mode, or the key itself in a bucket of its
 * own), so events keep naming the same key and every reader (content, text, diff, OCR, verify)
 * finds a blob wherever it is: `get` reads the live store, then the archive. Deleting (a record's
 * destruction) deletes in both.
 */
export class ArchivingBlobStore implements BlobStore {
  constructor(
    private readonly live: BlobStore,
    private readonly archive: BlobStore,
    private readonly archivePrefix: string,
  ) {}

  /** The fs layout: one store, archived content under `archive/`. */
  static withPrefix(store: BlobStore): ArchivingBlobStore {
    return new ArchivingBlobStore(store, store, ARCHIVE_PREFIX);
  }

  archivedKey(key: string): string {
    return this.archivePrefix + key;
  }

  put(key: string, body: Readable | Buffer): Promise<BlobInfo> {
    return this.live.put(key, body);
  }

  async get(key: string): Promise<Readable> {
    try {
      return await this.live.get(key);
    } catch (error) {
      if (!(error instanceof BlobNotFoundError)) throw error;
    }
    try {
      return await this.archive.get(this.archivedKey(key));
    } catch (error) {
      if (error instanceof BlobNotFoundError) throw new BlobNotFoundError(key);
      throw error;
    }
  }

  async exists(key: string): Promise<boolean> {
    return (await this.live.exists(key)) || (await this.archive.exists(this.archivedKey(key)));
  }

  async ping(): Promise<void> {
    await this.live.ping();
    if (this.archive !== this.live) await this.archive.ping();
  }

  async deletePrefix(prefix: string): Promise<number> {
    return (await this.live.deletePrefix(prefix)) + (await this.archive.deletePrefix(this.archivedKey(prefix)));
  }

  async delete(key: string): Promise<void> {
    await this.live.delete(key);
    await this.archive.delete(this.archivedKey(key));
  }

  /**
   * Moves one blob to the archive location, bytes as stored (encrypted above the port): copy, then
   * delete the live one. Idempotent: a crash between the two leaves both (reads find the live
   * one), and a second move finishes it. False when the blob was not (or no longer) in the live store.
   */
  async moveToArchive(key: string): Promise<boolean> {
    let body: Readable;
    try {
      body = await this.live.get(key);
    } catch (error) {
      if (error instanceof BlobNotFoundError) return false;
      throw error;
    }
    await this.archive.put(this.archivedKey(key), body);
    await this.live.delete(key);
    return true;
  }

  /** Whether the blob is in the archive location. */
  isArchived(key: string): Promise<boolean> {
    return this.archive.exists(this.archivedKey(key));
  }
}

/** Moves a blob to the archive location when the store has one (the application's always does); false otherwise. */
export function moveToArchive(store: BlobStore, key: string): Promise<boolean> {
  return store instanceof ArchivingBlobStore ? store.moveToArchive(key) : Promise.resolve(false);
}
