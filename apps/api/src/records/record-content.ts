import { Inject, Injectable } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BLOB_STORE, BlobStore, getDecrypted, putEncrypted } from '@medrec/blob-store';
import { KEY_STORE, KeyStore } from '@medrec/crypto';
import { ContentRef, DomainError } from '@medrec/domain';
import { IngestLimits, inspectDocument } from '@medrec/ingest/inspect/inspect-document';
import { APP_CONFIG, AppConfig } from '@medrec/platform';

/** An upload as multer leaves it: spooled to a temporary file, never held whole in memory. */
export interface UploadedFile {
  path: string;
  size: number;
}

export interface InspectedUpload {
  file: UploadedFile;
  contentType: string;
  pages: number;
  /** Hex SHA-256 of the file's bytes. */
  sha256: string;
}

/** Stored content of record versions: inspected, encrypted with the record's key, addressed by a fresh key. */
@Injectable()
export class RecordContent {
  constructor(
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    @Inject(KEY_STORE) private readonly keys: KeyStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Type from the bytes, size, page shapes, page and pixel limits, integrity, within the inspection
   * deadline: refused files throw IngestRefusal (413/415/422). Stops, rejecting with the signal's
   * reason, when `signal` aborts (the client hung up).
   */
  async inspect(file: UploadedFile | undefined, signal?: AbortSignal): Promise<InspectedUpload> {
    if (!file) throw DomainError.invalid([{ field: 'file', message: 'is required' }]);
    const inspection = await inspectDocument(file.path, ingestLimitsOf(this.config), { signal });
    signal?.throwIfAborted();
    return { file, contentType: inspection.contentType, pages: inspection.pages, sha256: await sha256OfFile(file.path) };
  }

  async store(recordId: string, upload: InspectedUpload): Promise<ContentRef> {
    const key = await this.keyFor(recordId);
    // A fresh key per upload: concurrent amendments that lose the race never overwrite the winner's content.
    const blobKey = `records/${recordId}/content/${randomUUID()}`;
    const stored = await putEncrypted(this.blobs, blobKey, createReadStream(upload.file.path), key);
    if (stored.sha256 !== upload.sha256) throw new Error('The upload changed while it was being stored');
    return { blobKey, sha256: stored.sha256, size: stored.size, contentType: upload.contentType, pages: upload.pages };
  }

  async open(recordId: string, content: ContentRef): Promise<Readable> {
    return getDecrypted(this.blobs, content.blobKey, await this.keyFor(recordId), { expectedSha256: content.sha256 });
  }

  async dataKey(recordId: string): Promise<Buffer> {
    return this.keyFor(recordId);
  }

  /** Removes content of a version that was never recorded (its command failed). */
  async discard(content: ContentRef): Promise<void> {
    await this.blobs.delete(content.blobKey).catch(() => undefined);
  }

  private async keyFor(recordId: string): Promise<Buffer> {
    const key = await this.keys.get(recordId);
    if (key) return key;
    if (await this.keys.isDestroyed(recordId)) throw new DomainError('gone', 'The record was destroyed');
    throw new DomainError('not-found', 'No such record');
  }
}

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

/** The upload limits of the configuration, as inspection takes them. */
export function ingestLimitsOf({ limits }: AppConfig): IngestLimits {
  return {
    maxBytes: limits.uploadBytes,
    maxPages: limits.maxPages,
    maxPixelsPerPage: limits.maxPixelsPerPage,
    minPageSidePixels: limits.minPageSidePixels,
    maxPageAspectRatio: limits.maxPageAspectRatio,
    inspectionTimeoutMs: limits.inspectionTimeoutSeconds * 1000,
  };
}
