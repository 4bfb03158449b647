import { DEFAULT_VECTOR_DPI } from '../rasterize/page-raster';
import { PdfWorker, PdfWorkerFailure } from '../rasterize/pdf-worker';
import type { IngestLimits } from './ingest-limits';
import { IngestRefusal } from './ingest-refusal';

/** Parsing every page of a 500-page PDF takes seconds; far longer means pdf.js is stuck on it. */
const INSPECTION_TIMEOUT_MS = 120_000;

/**
 * Opens the PDF with pdf.js (in a worker thread): refuses it when password-protected or
 * unparsable, checks the page count before reading any page, then each page's size at the
 * resolution it will be rendered at for OCR (the planning rasterizing uses).
 */
export async function inspectPdf(filePath: string, limits: IngestLimits): Promise<{ pages: number; textLayerPages: number }> {
  const worker = new PdfWorker(
    { path: filePath },
    { maxPixelsPerPage: limits.maxPixelsPerPage, maxPages: limits.maxPages, vectorDpi: DEFAULT_VECTOR_DPI },
  );
  try {
    const reply = await worker.request({ type: 'inspect' }, INSPECTION_TIMEOUT_MS);
    if (reply.type !== 'inspected') throw new Error(`Unexpected reply from the PDF worker: ${reply.type}`);
    return { pages: reply.pages, textLayerPages: reply.textLayerPages };
  } catch (error) {
    if (error instanceof PdfWorkerFailure) {
      // The upload made pdf.js time out, run out of memory, fail or crash: the file is refused (422)
      // rather than answered with a server error.
      throw new IngestRefusal(
        'corrupt',
        error.kind === 'timeout' || error.kind === 'out-of-memory' ? 'The PDF cannot be processed within the time and memory allowed' : 'The PDF cannot be read',
      );
    }
    throw error;
  } finally {
    await worker.close();
  }
}
