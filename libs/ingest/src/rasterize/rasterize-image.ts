import { sharp } from './sharp-settings';
import { decodeSlots } from '../inspect/decode-slots';
import { DEFAULT_INGEST_LIMITS } from '../inspect/ingest-limits';
import { checkImageHeaders, corruptImage, ImageContentType } from '../inspect/image-page-headers';
import { strictDecoding } from '../inspect/inspect-image';
import { encodeGray } from './encode-gray';
import { DEFAULT_IMAGE_DPI, PageRaster, RasterizeOptions } from './page-raster';

/** Densities outside this range are defaults written by software, not a scanner's (72 and 96 dpi above all). */
const PLAUSIBLE_SCAN_DPI = { min: 100, max: 2400 };

/**
 * TIFF (every page), PNG and JPEG as 8-bit grayscale at their own resolution, one page at a time.
 * The headers are checked again first, as inspection checks them (checkImageHeaders: a 59,000,000 x
 * 1 page took OCR from 319 MB to 1.47 GB): such a document is refused (IngestRefusal) before
 * anything is decoded. Each page is decoded and encoded in one of the process's decode slots.
 */
export async function* rasterizeImagePages(source: string | Buffer, contentType: ImageContentType, options: RasterizeOptions = {}): AsyncGenerator<PageRaster> {
  const maxPixels = options.maxPixelsPerPage ?? DEFAULT_INGEST_LIMITS.maxPixelsPerPage;
  const shape = {
    minPageSidePixels: options.minPageSidePixels ?? DEFAULT_INGEST_LIMITS.minPageSidePixels,
    maxPageAspectRatio: options.maxPageAspectRatio ?? DEFAULT_INGEST_LIMITS.maxPageAspectRatio,
  };
  const pages = await checkImageHeaders(source, contentType, { ...shape, maxPixelsPerPage: maxPixels });
  for (const [index, { density }] of pages.entries()) {
    const dpi = plausibleDpi(density) ?? options.defaultImageDpi ?? DEFAULT_IMAGE_DPI;
    const image = await decodeSlots.run(async () => {
      let decoded: { data: Buffer; info: sharp.OutputInfo };
      try {
        decoded = await sharp(source, { ...strictDecoding(index, maxPixels), autoOrient: true })
          .flatten({ background: '#ffffff' })
          .toColourspace('b-w')
          .raw({ depth: 'uchar' })
          .toBuffer({ resolveWithObject: true });
      } catch {
        throw corruptImage();
      }
      const data = await encodeGray(decoded.data, decoded.info.width, decoded.info.height, dpi, options.encoding ?? 'auto');
      return { data, width: decoded.info.width, height: decoded.info.height, dpi };
    });
    yield { page: index + 1, image };
  }
}

function plausibleDpi(density: number | undefined): number | undefined {
  if (density === undefined || density < PLAUSIBLE_SCAN_DPI.min || density > PLAUSIBLE_SCAN_DPI.max) return undefined;
  return Math.round(density);
}
