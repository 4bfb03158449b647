import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { BLOB_STORE, BlobStore, getDecrypted, putEncrypted } from '@medrec/blob-store';
import { KEY_STORE, KeyStore } from '@medrec/crypto';
import { ContentRef, DomainError } from '@medrec/domain';
import { detectDocumentType } from './detect-document-type';

export interface UploadedFile {
  buffer: Buffer;
  size: number;
}

/** Stored content of record versions: inspected, encrypted with the record's key, addressed by a fresh key. */
@Injectable()
export class RecordContent {
  constructor(
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    @Inject(KEY_STORE) private readonly keys: KeyStore,
  ) {}

  /** Checks the bytes before anything is stored; throws 415/422 problems for what is refused. */
  inspect(file: UploadedFile | undefined): { contentType: string } {
    if (!file) throw DomainError.invalid([{ field: 'file', message: 'is required' }]);
    return detectDocumentType(file.buffer);
  }

  async store(recordId: string, file: UploadedFile, contentType: string): Promise<ContentRef> {
    const key = await this.keyFor(recordId);
    // A fresh key per upload: concurrent amendments that lose the race never overwrite the winner's content.
    const blobKey = `records/${recordId}/content/${randomUUID()}`;
    const stored = await putEncrypted(this.blobs, blobKey, file.buffer, key);
    return { blobKey, sha256: stored.sha256, size: stored.size, contentType, pages: null };
  }

  async open(recordId: string, content: ContentRef): Promise<Readable> {
    const key = await this.keyFor(recordId);
    return getDecrypted(this.blobs, content.blobKey, key, { expectedSha256: content.sha256 });
  }

  private async keyFor(recordId: string): Promise<Buffer> {
    const key = await this.keys.get(recordId);
    if (key) return key;
    if (await this.keys.isDestroyed(recordId)) throw new DomainError('gone', 'The record was destroyed');
    throw new DomainError('not-found', 'No such record');
  }

  /** Removes content of a version that was never recorded (its command failed). */
  async discard(content: ContentRef): Promise<void> {
    await this.blobs.delete(content.blobKey).catch(() => undefined);
  }
}
