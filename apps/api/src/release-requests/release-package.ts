import { createHash } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { ZipFile } from 'yazl';
import type { StoredText } from '@medrec/blob-store';
import type { AmendmentStatementState, ContentRef, DocumentType, Recipient, VersionState } from '@medrec/domain';

/** The request as the package's manifest describes it. */
export interface PackageRequestDetails {
  id: string;
  mrn: string;
  requester: string;
  recipient: Recipient;
  purpose: string;
  authorizationReference: string;
  authorizationExpires: string;
  receivedAt: string;
  dueAt: string;
  builtBy: string;
  builtAt: string;
}

/** One released record: the version whose original goes out, and the statements linked to the record. */
export interface PackagedRecordSource {
  recordId: string;
  documentType: DocumentType;
  version: VersionState;
  statements: AmendmentStatementState[];
}

/** Where the package's contents come from (the records' stored content, decrypted as it streams). */
export interface PackageSources {
  /** The original, decrypted and checked against its SHA-256 as it streams. */
  openContent(recordId: string, content: ContentRef): Promise<Readable>;
  readText(recordId: string, textKey: string): Promise<StoredText>;
}

export interface ManifestFile {
  path: string;
  kind: 'original' | 'ocr-text' | 'statement';
  recordId: string;
  /** The version (originals and their text). */
  version?: number;
  contentType: string;
  sha256: string;
  size: number;
  /** For statements: which, and from whom. */
  statementId?: string;
  statementKind?: string;
  amendmentRequestId?: string;
  filedBy?: string;
  filedAt?: string;
}

export interface ReleaseManifest {
  format: 'medrec-release-package/1';
  request: PackageRequestDetails;
  /** `ocr`: the version's recognition status (its text is in the package only when `done`). */
  records: Array<{ recordId: string; documentType: DocumentType; versions: number[]; ocr: VersionState['ocr']['status'] }>;
  files: ManifestFile[];
}

const EXTENSIONS: Record<string, string> = { 'application/pdf': 'pdf', 'image/tiff': 'tif', 'image/png': 'png', 'image/jpeg': 'jpg' };

/** Pages of a version's recognised text are separated by a form feed, the plain-text page break. */
export const PAGE_SEPARATOR = '\f';

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/**
 * The release package as a ZIP stream (yazl): per record `records/<id>/v<n>/original.<ext>` (the
 * decrypted original, stored uncompressed: scans are compressed already), `.../ocr-text.txt` (the
 * stored recognised text, pages separated by form feeds) when OCR is done, every linked statement
 * as `records/<id>/statements/<statementId>-<kind>.txt`, and `manifest.json` last, with the
 * SHA-256 and size of every file. Entries are opened one at a time as the ZIP is consumed, so the
 * package is never held in memory; a failing source (an altered blob) fails the stream.
 */
export function releasePackageStream(details: PackageRequestDetails, records: PackagedRecordSource[], sources: PackageSources): Readable {
  const zip = new ZipFile();
  const output = new PassThrough();
  const fail = (error: Error): void => {
    if (!output.destroyed) output.destroy(error);
  };
  zip.on('error', fail);
  const mtime = new Date(details.builtAt);
  const files: ManifestFile[] = [];
  /** A lazily opened entry whose source stream's errors fail the package rather than the process. */
  const lazy = (path: string, options: { compress: boolean; size?: number }, open: () => Promise<Readable>): void => {
    zip.addReadStreamLazy(path, { ...options, mtime }, (callback) => {
      open().then(
        (stream) => {
          stream.once('error', fail);
          callback(null, stream);
        },
        (error: Error) => fail(error),
      );
    });
  };

  for (const record of records) {
    const { recordId, version: v } = record;
    const base = `records/${recordId}/v${v.version}`;
    const originalPath = `${base}/original.${EXTENSIONS[v.content.contentType] ?? 'bin'}`;
    files.push({
      path: originalPath,
      kind: 'original',
      recordId,
      version: v.version,
      contentType: v.content.contentType,
      sha256: v.content.sha256,
      size: v.content.size,
    });
    lazy(originalPath, { compress: false, size: v.content.size }, () => sources.openContent(recordId, v.content));
    if (v.ocr.status === 'done') {
      const textPath = `${base}/ocr-text.txt`;
      const entry: ManifestFile = {
        path: textPath,
        kind: 'ocr-text',
        recordId,
        version: v.version,
        contentType: 'text/plain; charset=utf-8',
        sha256: '',
        size: 0,
      };
      files.push(entry);
      const textKey = v.ocr.textKey;
      lazy(textPath, { compress: true }, async () => {
        const stored = await sources.readText(recordId, textKey);
        const bytes = Buffer.from(stored.pages.map((p) => p.text).join(PAGE_SEPARATOR), 'utf8');
        entry.sha256 = sha256(bytes);
        entry.size = bytes.length;
        return Readable.from([bytes]);
      });
    }
    for (const s of record.statements) {
      if (s.statement === undefined) continue;
      const bytes = Buffer.from(s.statement, 'utf8');
      const path = `records/${recordId}/statements/${s.statementId}-${s.kind}.txt`;
      files.push({
        path,
        kind: 'statement',
        recordId,
        contentType: 'text/plain; charset=utf-8',
        sha256: sha256(bytes),
        size: bytes.length,
        statementId: s.statementId,
        statementKind: s.kind,
        amendmentRequestId: s.requestId,
        filedBy: s.filedBy,
        filedAt: s.filedAt,
      });
      zip.addBuffer(bytes, path, { compress: true, mtime });
    }
  }
  // Last: by the time it is written every text entry has been read and measured.
  lazy('manifest.json', { compress: true }, async () => {
    const manifest: ReleaseManifest = {
      format: 'medrec-release-package/1',
      request: details,
      records: records.map((r) => ({ recordId: r.recordId, documentType: r.documentType, versions: [r.version.version], ocr: r.version.ocr.status })),
      files,
    };
    return Readable.from([Buffer.from(JSON.stringify(manifest, null, 2) + '\n', 'utf8')]);
  });
  zip.end();
  (zip.outputStream as Readable).on('error', fail).pipe(output);
  return output;
}
