import type { DocumentContentType } from '@medrec/ingest/inspect/document-content-type';

const EXTENSIONS: Record<DocumentContentType, string> = {
  'application/pdf': 'pdf',
  'image/tiff': 'tif',
  'image/png': 'png',
  'image/jpeg': 'jpg',
};

/** Downloaded, never rendered by the API's origin; named by record and version only (the uploaded name may hold PHI). */
export function contentAttachment(recordId: string, version: number, contentType: string): string {
  const extension = EXTENSIONS[contentType as DocumentContentType] ?? 'bin';
  return `attachment; filename="record-${recordId}-v${version}.${extension}"`;
}
