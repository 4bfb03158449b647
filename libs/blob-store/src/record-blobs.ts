import { randomUUID } from 'node:crypto';
import { text as streamText } from 'node:stream/consumers';
import type { KeyStore } from '@medrec/crypto';
import { DomainError, type PageQuality } from '@medrec/domain';
import type { BlobStore } from './blob-store.port';
import { getDecrypted, putEncrypted } from './encrypted-blob-store';

/*
 * What is stored for a record, and where. Everything of a record lives under its prefix, encrypted
 * with the record's own data key, so destroying the key and deleting the prefix shreds it all:
 *
 *   records/<recordId>/content/<uuid>        the original bytes of a version, as uploaded
 *   records/<recordId>/text/<uuid>.json      the recognised text of that content (StoredText)
 */

/** Everything stored for a record (deleted when it is destroyed). */
export function recordBlobPrefix(recordId: string): string {
  return `records/${recordId}/`;
}

/** A fresh key for uploaded content: concurrent amendments that lose the race never overwrite the winner's content. */
export function newContentKey(recordId: string): string {
  return `${recordBlobPrefix(recordId)}content/${randomUUID()}`;
}

/**
 * Where a version's recognized text is kept, next to its content. A content key of another shape
 * is an error: answering it unchanged would write the text over the document.
 */
export function textKeyFor(contentKey: string): string {
  const textKey = contentKey.replace(/\/content\/([^/]+)$/, '/text/$1.json');
  if (textKey === contentKey) throw new Error('The content key is not one the API writes (…/content/<id>)');
  return textKey;
}

/** One page's text as stored for a version: from the PDF's own text layer or from OCR. */
export interface StoredPage {
  page: number;
  text: string;
  /** Mean word confidence 0-100 (100 for a text layer). */
  confidence: number;
  source: 'text-layer' | 'ocr';
  words: Array<{ text: string; confidence: number; bbox: { x0: number; y0: number; x1: number; y1: number } }>;
  /** Measured where the page was rasterized for OCR (absent for a text layer, and in text stored before these measures). */
  quality?: PageQuality;
}

/** The recognized text of a version, as stored under its text key. */
export interface StoredText {
  version: number;
  pages: StoredPage[];
}

export async function writeStoredText(blobs: BlobStore, textKey: string, stored: StoredText, dataKey: Buffer): Promise<void> {
  await putEncrypted(blobs, textKey, Buffer.from(JSON.stringify(stored)), dataKey);
}

export async function readStoredText(blobs: BlobStore, textKey: string, dataKey: Buffer): Promise<StoredText> {
  return JSON.parse(await streamText(await getDecrypted(blobs, textKey, dataKey))) as StoredText;
}

/**
 * Runs `fn` with the record's data key and wipes the key when `fn` has settled, whether it
 * resolved or threw. The key is only good inside `fn`: a stream still reading with it afterwards
 * fails. A destroyed record's key is gone (410), an unknown record has none (404).
 */
export async function withRecordKey<T>(keys: KeyStore, recordId: string, fn: (dataKey: Buffer) => Promise<T>): Promise<T> {
  const dataKey = await keys.get(recordId);
  if (!dataKey) {
    if (await keys.isDestroyed(recordId)) throw new DomainError('gone', 'The record was destroyed');
    throw new DomainError('not-found', 'No such record');
  }
  try {
    return await fn(dataKey);
  } finally {
    dataKey.fill(0);
  }
}
