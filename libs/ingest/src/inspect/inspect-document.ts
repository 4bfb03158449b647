import { stat } from 'node:fs/promises';
import { Deadline } from './deadline';
import { detectDocumentContentType, DocumentContentType } from './document-content-type';
import type { IngestLimits } from './ingest-limits';
import { IngestRefusal } from './ingest-refusal';
import { inspectImage } from './inspect-image';
import { inspectPdf } from './inspect-pdf';

export { DEFAULT_INGEST_LIMITS } from './ingest-limits';
export type { IngestLimits } from './ingest-limits';
export { IngestRefusal } from './ingest-refusal';
export type { IngestRefusalReason, IngestRefusalStatus } from './ingest-refusal';
export type { DocumentContentType } from './document-content-type';

export interface DocumentInspection {
  contentType: DocumentContentType;
  pages: number;
  /** PDF only: pages whose own text layer will be used instead of OCR. */
  textLayerPages?: number;
}

export interface InspectOptions {
  /**
   * Aborted when the caller no longer wants the answer (the client hung up): inspection stops at
   * once and rejects with the signal's reason; no further page is decoded.
   */
  signal?: AbortSignal;
}

/**
 * Decides whether an upload may be taken, cheapest check first: its size on disk, its type from
 * its bytes (never its name), page shapes, page and pixel limits from headers before anything is
 * decoded, then integrity (images decode whole; PDFs open without a password and parse), all
 * within `limits.inspectionTimeoutMs`. Throws IngestRefusal (413/415/422) for a refused file.
 */
export async function inspectDocument(filePath: string, limits: IngestLimits, options: InspectOptions = {}): Promise<DocumentInspection> {
  const deadline = new Deadline(limits.inspectionTimeoutMs, options.signal);
  try {
    return await deadline.race(inspectWithin(filePath, limits, deadline));
  } finally {
    deadline.dispose();
  }
}

async function inspectWithin(filePath: string, limits: IngestLimits, deadline: Deadline): Promise<DocumentInspection> {
  const { size } = await stat(filePath);
  if (size === 0) throw new IngestRefusal('empty', 'The file is empty');
  if (size > limits.maxBytes) {
    throw new IngestRefusal('too-large', `The file is larger than the ${limits.maxBytes} bytes allowed`);
  }
  const contentType = await detectDocumentContentType(filePath);
  if (!contentType) throw new IngestRefusal('unsupported-type', 'The file is not a PDF, TIFF, PNG or JPEG document');
  deadline.signal.throwIfAborted();
  if (contentType === 'application/pdf') {
    const { pages, textLayerPages } = await inspectPdf(filePath, limits, deadline);
    return { contentType, pages, textLayerPages };
  }
  return { contentType, pages: await inspectImage(filePath, contentType, limits, deadline) };
}
