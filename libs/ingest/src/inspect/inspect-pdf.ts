import { DEFAULT_VECTOR_DPI } from '../rasterize/page-raster';
import { PdfWorker, PdfWorkerFailure } from '../rasterize/pdf-worker';
import type { Deadline } from './deadline';
import type { IngestLimits } from './ingest-limits';
import { IngestRefusal } from './ingest-refusal';

export interface PdfInspection {
  pages: number;
  textLayerPages: number;
  /** Every page is one scan drawn 1:1 over it: answered from the PDF's structure, pdf.js never loaded. */
  embeddedScans: boolean;
}

/**
 * Inspects the PDF in a worker thread. A scanner's PDF (every page one JPEG or Group 4 image drawn
 * 1:1 over the page, nothing else: scanned-pages.mjs) is answered from its structure: page count
 * (before any page is looked at), each image's size and shape, the very size rasterizing will
 * produce. Anything else is opened with pdf.js: refused when password-protected or unparsable, the
 * page count checked before reading any page, then each page's shape and size at the resolution it
 * will be rendered at for OCR (the planning rasterizing uses). The thread is ended at once when the
 * deadline passes or the caller gives up.
 */
export async function inspectPdf(filePath: string, limits: IngestLimits, deadline: Deadline): Promise<PdfInspection> {
  const worker = new PdfWorker(
    { path: filePath },
    {
      maxPixelsPerPage: limits.maxPixelsPerPage,
      maxPages: limits.maxPages,
      vectorDpi: DEFAULT_VECTOR_DPI,
      minPageSidePixels: limits.minPageSidePixels,
      maxPageAspectRatio: limits.maxPageAspectRatio,
    },
  );
  try {
    const reply = await worker.request({ type: 'inspect' }, Math.max(1, deadline.remainingMs()), deadline.signal);
    if (reply.type !== 'inspected') throw new Error(`Unexpected reply from the PDF worker: ${reply.type}`);
    return { pages: reply.pages, textLayerPages: reply.textLayerPages, embeddedScans: reply.embeddedScans };
  } catch (error) {
    if (deadline.signal.aborted) throw deadline.signal.reason;
    if (error instanceof PdfWorkerFailure) {
      // The upload made pdf.js time out, run out of memory, fail or crash: the file is refused (422)
      // rather than answered with a server error.
      if (error.kind === 'timeout') throw new IngestRefusal('inspection-timeout', 'The PDF could not be inspected within the time allowed');
      throw new IngestRefusal('corrupt', error.kind === 'out-of-memory' ? 'The PDF cannot be processed within the memory allowed' : 'The PDF cannot be read');
    }
    throw error;
  } finally {
    await worker.close();
  }
}
