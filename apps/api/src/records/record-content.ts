import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { buffer as streamBuffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { BLOB_STORE, BlobStore, getDecrypted, newContentKey, putEncrypted, readStoredText, StoredText, withRecordKey } from '@medrec/blob-store';
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

  /** A file made by medrec itself from pages inspected before under the same limits (a stack's document): hashed, not inspected again. */
  async alreadyInspected(file: UploadedFile, inspected: { contentType: string; pages: number }): Promise<InspectedUpload> {
    return { file, contentType: inspected.contentType, pages: inspected.pages, sha256: await sha256OfFile(file.path) };
  }

  async store(recordId: string, upload: InspectedUpload): Promise<ContentRef> {
    const blobKey = newContentKey(recordId);
    const stored = await this.withRecordKey(recordId, (key) => putEncrypted(this.blobs, blobKey, createReadStream(upload.file.path), key));
    if (stored.sha256 !== upload.sha256) throw new Error('The upload changed while it was being stored');
    return { blobKey, sha256: stored.sha256, size: stored.size, contentType: upload.contentType, pages: upload.pages };
  }

  /**
   * The version's content, decrypted as it streams (and checked against its SHA-256 at the end).
   * The record's key is wiped once the stream has closed, however it ends.
   */
  async open(recordId: string, content: ContentRef): Promise<Readable> {
    let body: Readable | undefined;
    await this.withRecordKey(recordId, async (key) => {
      // The stream decrypts after this returns: it gets a copy of its own, wiped when it closes.
      const own = Buffer.from(key);
      try {
        body = await getDecrypted(this.blobs, content.blobKey, own, { expectedSha256: content.sha256 });
      } catch (error) {
        own.fill(0);
        throw error;
      }
      body.once('close', () => own.fill(0));
    });
    return body!;
  }

  /** The version's content whole in memory (checked against its SHA-256): for rendering a page of it, as OCR reads it. */
  async read(recordId: string, content: ContentRef): Promise<Buffer> {
    return streamBuffer(await this.open(recordId, content));
  }

  /** The version's recognised text (stored by the OCR runner under its text key). */
  async readText(recordId: string, textKey: string): Promise<StoredText> {
    return this.withRecordKey(recordId, (key) => readStoredText(this.blobs, textKey, key));
  }

  /** Runs `fn` with the record's data key and wipes it afterwards (410 once destroyed, 404 for no such record). */
  withRecordKey<T>(recordId: string, fn: (dataKey: Buffer) => Promise<T>): Promise<T> {
    return withRecordKey(this.keys, recordId, fn);
  }

  /** Removes content of a version that was never recorded (its command failed). */
  async discard(content: ContentRef): Promise<void> {
    await this.blobs.delete(content.blobKey).catch(() => undefined);
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
