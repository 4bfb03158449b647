import { sharp } from './sharp-settings';
import { decodeSlots } from '../inspect/decode-slots';
import { DEFAULT_INGEST_LIMITS } from '../inspect/ingest-limits';
import { checkImageHeaders, corruptImage, ImageContentType, ImagePageHeader } from '../inspect/image-page-headers';
import { strictDecoding } from '../inspect/inspect-image';
import { encodeGray } from './encode-gray';
import { measureRaster } from '../quality/page-quality';
import { IngestRefusal } from '../inspect/ingest-refusal';
import { DEFAULT_IMAGE_DPI, DEFAULT_PAGE_TIMEOUT_MS, PageRaster, RasterizeOptions } from './page-raster';

/** Densities outside this range are defaults written by software, not a scanner's (72 and 96 dpi above all). */
const PLAUSIBLE_SCAN_DPI = { min: 100, max: 2400 };

/**
 * TIFF (every page), PNG and JPEG as 8-bit grayscale at their own resolution, one page at a time.
 * The headers are checked again first, as inspection checks them (checkImageHeaders: a 59,000,000 x
 * 1 page took OCR from 319 MB to 1.47 GB): such a document is refused (IngestRefusal) before
 * anything is decoded. Each page is decoded and encoded in one of the process's decode slots.
 */
export async function* rasterizeImagePages(source: string | Buffer, contentType: ImageContentType, options: RasterizeOptions = {}): AsyncGenerator<PageRaster> {
  const pages = await checkedHeaders(source, contentType, options);
  for (const [index, header] of pages.entries()) {
    yield { page: index + 1, image: await decodePage(source, index, header, options) };
  }
}

/**
 * Page `page` (from 1) of a TIFF, PNG or JPEG alone, exactly as rasterizeImagePages gives it (same
 * checks, orientation, size and resolution), no other page decoded: a TIFF page is selected by
 * libvips. Undefined when the document has no such page. The decode is stopped by libvips after
 * `pageTimeoutMs` (whole seconds; IngestRefusal 'inspection-timeout'), and `signal` takes the
 * request out of the decode slots' queue when its caller gives up.
 */
export async function rasterizeImagePage(
  source: string | Buffer,
  contentType: ImageContentType,
  page: number,
  options: RasterizeOptions = {},
  signal?: AbortSignal,
): Promise<PageRaster | undefined> {
  const pages = await checkedHeaders(source, contentType, options, signal);
  if (!Number.isInteger(page) || page < 1 || page > pages.length) return undefined;
  const timeout = { seconds: Math.max(1, Math.ceil((options.pageTimeoutMs ?? DEFAULT_PAGE_TIMEOUT_MS) / 1000)) };
  return { page, image: await decodePage(source, page - 1, pages[page - 1], options, { signal, timeout }) };
}

function checkedHeaders(source: string | Buffer, contentType: ImageContentType, options: RasterizeOptions, signal?: AbortSignal): Promise<ImagePageHeader[]> {
  return checkImageHeaders(
    source,
    contentType,
    {
      minPageSidePixels: options.minPageSidePixels ?? DEFAULT_INGEST_LIMITS.minPageSidePixels,
      maxPageAspectRatio: options.maxPageAspectRatio ?? DEFAULT_INGEST_LIMITS.maxPageAspectRatio,
      maxPixelsPerPage: options.maxPixelsPerPage ?? DEFAULT_INGEST_LIMITS.maxPixelsPerPage,
    },
    signal,
  );
}

/** Decodes one page (0-based `index`) and encodes it, in one of the process's decode slots. */
function decodePage(
  source: string | Buffer,
  index: number,
  { density }: ImagePageHeader,
  options: RasterizeOptions,
  { signal, timeout }: { signal?: AbortSignal; timeout?: { seconds: number } } = {},
): Promise<NonNullable<PageRaster['image']>> {
  const maxPixels = options.maxPixelsPerPage ?? DEFAULT_INGEST_LIMITS.maxPixelsPerPage;
  const dpi = plausibleDpi(density) ?? options.defaultImageDpi ?? DEFAULT_IMAGE_DPI;
  return decodeSlots.run(async () => {
    let decoded: { data: Buffer; info: sharp.OutputInfo };
    try {
      const decoder = sharp(source, { ...strictDecoding(index, maxPixels), autoOrient: true });
      if (timeout) decoder.timeout(timeout);
      decoded = await decoder.flatten({ background: '#ffffff' }).toColourspace('b-w').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    } catch (error) {
      if (timeout && error instanceof Error && /^timeout\b/i.test(error.message)) {
        throw new IngestRefusal('inspection-timeout', 'The page could not be decoded within the time allowed');
      }
      throw corruptImage();
    }
    const { width, height } = decoded.info;
    const [data, quality] = await Promise.all([
      encodeGray(decoded.data, width, height, dpi, options.encoding ?? 'auto'),
      options.measureQuality ? measureRaster(decoded.data, width, height, dpi) : undefined,
    ]);
    return { data, width, height, dpi, ...(quality ? { quality } : {}) };
  }, signal);
}

function plausibleDpi(density: number | undefined): number | undefined {
  if (density === undefined || density < PLAUSIBLE_SCAN_DPI.min || density > PLAUSIBLE_SCAN_DPI.max) return undefined;
  return Math.round(density);
}
