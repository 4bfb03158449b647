import { DEFAULT_INGEST_LIMITS } from '../inspect/ingest-limits';
import { encodeGray } from './encode-gray';
import { DEFAULT_PAGE_TIMEOUT_MS, DEFAULT_VECTOR_DPI, PageRaster, RasterizeOptions } from './page-raster';
import { PdfSource, PdfWorker } from './pdf-worker';

/**
 * PDF pages one at a time, rendered by pdf.js in a worker thread: a page's own text layer when it
 * has one, otherwise the page rendered at its scan's native resolution. The worker renders the
 * next page only when asked, so at most one page's pixels exist at a time.
 */
export async function* rasterizePdfPages(source: string | Buffer, options: RasterizeOptions = {}): AsyncGenerator<PageRaster> {
  // Bytes are copied to the worker (structured clone): the caller's buffer is left as it was.
  const pdfSource: PdfSource = typeof source === 'string' ? { path: source } : { data: source };
  const worker = new PdfWorker(pdfSource, {
    maxPixelsPerPage: options.maxPixelsPerPage ?? DEFAULT_INGEST_LIMITS.maxPixelsPerPage,
    vectorDpi: options.vectorDpi ?? DEFAULT_VECTOR_DPI,
    minPageSidePixels: options.minPageSidePixels ?? DEFAULT_INGEST_LIMITS.minPageSidePixels,
    maxPageAspectRatio: options.maxPageAspectRatio ?? DEFAULT_INGEST_LIMITS.maxPageAspectRatio,
  });
  try {
    for (;;) {
      const reply = await worker.request({ type: 'next' }, options.pageTimeoutMs ?? DEFAULT_PAGE_TIMEOUT_MS);
      if (reply.type === 'end') return;
      if (reply.type !== 'page') throw new Error(`Unexpected reply from the PDF worker: ${reply.type}`);
      if ('textLayer' in reply) {
        yield { page: reply.page, textLayer: reply.textLayer };
        continue;
      }
      const { gray, width, height, dpi } = reply.image;
      const pixels = Buffer.from(gray.buffer, gray.byteOffset, gray.byteLength);
      yield { page: reply.page, image: { data: await encodeGray(pixels, width, height, dpi, options.encoding ?? 'auto'), width, height, dpi } };
    }
  } finally {
    await worker.close();
  }
}
