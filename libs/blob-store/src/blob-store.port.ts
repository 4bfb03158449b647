import type { Readable } from 'node:stream';

/** Object storage for record content. Keys are ASCII paths (blob-key.ts); the ones written for a
 * record, "records/<id>/content/<uuid>" and "records/<id>/text/<uuid>.json", are laid out in
 * record-blobs.ts. Adapters store bytes exactly as given: encryption happens above the port. */
export interface BlobInfo {
  key: string;
  size: number;
  /** Hex SHA-256 of the stored bytes, computed while streaming. */
  sha256: string;
}

export interface BlobStore {
  put(key: string, body: Readable | Buffer): Promise<BlobInfo>;
  /** Throws BlobNotFoundError when absent. */
  get(key: string): Promise<Readable>;
  exists(key: string): Promise<boolean>;
  /** Deletes every blob under the prefix; absent keys are not an error. */
  deletePrefix(prefix: string): Promise<number>;
  delete(key: string): Promise<void>;
  /** Resolves when the store answers and can take writes (a health check: cheap, no blob of a record touched); rejects otherwise. */
  ping(): Promise<void>;
}

export class BlobNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`Blob not found: ${key}`);
    this.name = 'BlobNotFoundError';
  }
}

export const BLOB_STORE = Symbol('BLOB_STORE');
