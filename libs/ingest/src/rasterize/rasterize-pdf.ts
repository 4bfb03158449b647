import { decodeSlots } from '../inspect/decode-slots';
import { DEFAULT_INGEST_LIMITS } from '../inspect/ingest-limits';
import { encodeGray } from './encode-gray';
import { measureRaster } from '../quality/page-quality';
import { DEFAULT_PAGE_TIMEOUT_MS, DEFAULT_VECTOR_DPI, PageRaster, RasterizeOptions } from './page-raster';
import { decodeEmbeddedScan, GrayPixels } from './decode-embedded-scan';
import { EmbeddedScan, PdfSource, PdfWorker, PdfWorkerReply, PdfWorkerSettings } from './pdf-worker';

/**
 * PDF pages one at a time, rendered by pdf.js in a worker thread: a page's own text layer when it
 * has one, otherwise the page rendered at its scan's native resolution. The worker renders the
 * next page only when asked, so at most one page's pixels exist at a time. A scanner's PDF (every
 * page one JPEG or Group 4 image drawn 1:1 over it) is not rendered: each page is its embedded
 * image, decoded by libvips (the same pixels, several times cheaper).
 */
export async function* rasterizePdfPages(source: string | Buffer, options: RasterizeOptions = {}): AsyncGenerator<PageRaster> {
  const settings = workerSettings(options);
  const worker = new PdfWorker(pdfSourceOf(source), settings);
  const timeoutMs = options.pageTimeoutMs ?? DEFAULT_PAGE_TIMEOUT_MS;
  try {
    for (;;) {
      const reply = await worker.request({ type: 'next' }, timeoutMs);
      if (reply.type === 'end') return;
      if (reply.type !== 'page') throw new Error(`Unexpected reply from the PDF worker: ${reply.type}`);
      if ('textLayer' in reply) {
        yield { page: reply.page, textLayer: reply.textLayer };
        continue;
      }
      // The scan's decode takes one of the process's decode slots, as an image file's page does.
      const decode = (scan: EmbeddedScan) => decodeSlots.run(() => decodeEmbeddedScan(scan, settings.maxPixelsPerPage));
      const { gray: pixels, width, height, dpi } = await pixelsOf(reply, worker, decode, timeoutMs);
      const [data, quality] = await Promise.all([
        encodeGray(pixels, width, height, dpi, options.encoding ?? 'auto'),
        options.measureQuality ? measureRaster(pixels, width, height, dpi) : undefined,
      ]);
      yield { page: reply.page, image: { data, width, height, dpi, ...(quality ? { quality } : {}) } };
    }
  } finally {
    await worker.close();
  }
}

/**
 * Page `page` (from 1) of a PDF alone, always as an image, even when it has a text layer (which
 * rasterizePdfPages hands over as text, unrendered). The resolution is the one rasterizePdfPages
 * renders an image page at: the embedded scan's own, else `vectorDpi` — so a page OCR'd from an
 * image gets the very pixels (size and content) the OCR saw. pdf.js renders that page only, within
 * `pageTimeoutMs`; the whole render and its encoding run in one of the process's decode slots, so
 * that renders asked for by users stay as few at once as other decodes. Undefined when the PDF has
 * no such page. When `signal` aborts, the worker thread is ended and this rejects with its reason.
 */
export async function rasterizePdfPage(
  source: string | Buffer,
  page: number,
  options: RasterizeOptions = {},
  signal?: AbortSignal,
): Promise<PageRaster | undefined> {
  return decodeSlots.run(async () => {
    const settings = workerSettings(options);
    const worker = new PdfWorker(pdfSourceOf(source), settings);
    const timeoutMs = options.pageTimeoutMs ?? DEFAULT_PAGE_TIMEOUT_MS;
    try {
      const reply = await worker.request({ type: 'render', page }, timeoutMs, signal);
      if (reply.type === 'end') return undefined;
      // Already in a decode slot.
      const decode = (scan: EmbeddedScan) => decodeEmbeddedScan(scan, settings.maxPixelsPerPage);
      const { gray: pixels, width, height, dpi } = await pixelsOf(reply, worker, decode, timeoutMs, signal);
      return { page, image: { data: await encodeGray(pixels, width, height, dpi, options.encoding ?? 'auto'), width, height, dpi } };
    } catch (error) {
      if (signal?.aborted) throw signal.reason as Error;
      throw error;
    } finally {
      await worker.close();
    }
  }, signal);
}

/**
 * Every page of a PDF as an image, one at a time from a worker thread, whatever the page holds (a
 * page with a text layer is rendered too: stack scanning must see a cover sheet sent as a PDF page
 * of its own). A scanner's page (an embedded scan drawn 1:1, as inspection and rasterizePdfPages
 * find it) is handed to `decodeScan` still encoded, for the caller to decode at the scale it
 * needs; one it cannot decode is rendered by pdf.js after all. Pages are rendered as
 * rasterizePdfPage renders them: at the scan's resolution, else `vectorDpi`.
 */
export async function* pdfPagesAsImages<T>(
  source: string | Buffer,
  options: RasterizeOptions,
  decodeScan: (scan: EmbeddedScan) => Promise<T>,
  fromRendered: (pixels: GrayPixels) => T,
): AsyncGenerator<{ page: number; image: T }> {
  const settings = workerSettings(options);
  const worker = new PdfWorker(pdfSourceOf(source), settings);
  const timeoutMs = options.pageTimeoutMs ?? DEFAULT_PAGE_TIMEOUT_MS;
  try {
    for (let page = 1; ; page++) {
      const reply = await worker.request({ type: 'render', page }, timeoutMs);
      if (reply.type === 'end') return;
      const rendered = imagePage(reply);
      const decoded =
        'scan' in rendered
          ? await decodeScan(rendered.scan).then(
              (image) => ({ image }),
              () => undefined,
            )
          : undefined;
      // Not a scan, or one the caller could not decode: pdf.js's rendering (pixelsOf asks for it when the decode fails).
      yield { page, image: decoded ? decoded.image : fromRendered(await pixelsOf(reply, worker, renderedByPdfjs, timeoutMs)) };
    }
  } finally {
    await worker.close();
  }
}

const renderedByPdfjs = (): Promise<GrayPixels> => Promise.reject(new Error('Rendered by pdf.js instead'));

type PageReply = Extract<PdfWorkerReply, { type: 'page' }>;

/**
 * A page's pixels: as pdf.js rendered them, or its embedded scan decoded. A scan libvips refuses
 * (damaged, truncated) is rendered by pdf.js after all, as it was before there was a fast path.
 */
async function pixelsOf(
  reply: PdfWorkerReply,
  worker: PdfWorker,
  decode: (scan: EmbeddedScan) => Promise<GrayPixels>,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<GrayPixels> {
  const page = imagePage(reply);
  if ('scan' in page) {
    try {
      return await decode(page.scan);
    } catch {
      signal?.throwIfAborted();
      return pixelsOf(await worker.request({ type: 'render', page: page.page, pdfjs: true }, timeoutMs, signal), worker, decode, timeoutMs, signal);
    }
  }
  const { gray, width, height, dpi } = page.image;
  return { gray: Buffer.from(gray.buffer, gray.byteOffset, gray.byteLength), width, height, dpi };
}

function imagePage(reply: PdfWorkerReply): Exclude<PageReply, { textLayer: string }> {
  if (reply.type !== 'page' || 'textLayer' in reply) throw new Error(`Unexpected reply from the PDF worker: ${reply.type}`);
  return reply;
}

/** Bytes are copied to the worker (structured clone): the caller's buffer is left as it was. */
function pdfSourceOf(source: string | Buffer): PdfSource {
  return typeof source === 'string' ? { path: source } : { data: source };
}

function workerSettings(options: RasterizeOptions): PdfWorkerSettings {
  return {
    maxPixelsPerPage: options.maxPixelsPerPage ?? DEFAULT_INGEST_LIMITS.maxPixelsPerPage,
    vectorDpi: options.vectorDpi ?? DEFAULT_VECTOR_DPI,
    minPageSidePixels: options.minPageSidePixels ?? DEFAULT_INGEST_LIMITS.minPageSidePixels,
    maxPageAspectRatio: options.maxPageAspectRatio ?? DEFAULT_INGEST_LIMITS.maxPageAspectRatio,
  };
}
