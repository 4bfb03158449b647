import sharp from 'sharp';
import type { DocumentContentType } from './document-content-type';
import { readImageHeader } from './image-header';
import { DEFAULT_INGEST_LIMITS } from './ingest-limits';
import { IngestRefusal } from './ingest-refusal';
import { checkPageShape, PageShapeLimits } from './page-shape';

export type ImageContentType = Exclude<DocumentContentType, 'application/pdf'>;

export interface ImageHeaderLimits extends PageShapeLimits {
  maxPixelsPerPage: number;
  /**
   * More pages are refused (too-many-pages). Without it the count is not checked (rasterizing
   * content that inspection, under its configured limit, already took), and our own header reading
   * stops after DEFAULT_INGEST_LIMITS.maxPages directories.
   */
  maxPages?: number;
}

/** One page as its header states it. */
export interface ImagePageHeader {
  width: number;
  height: number;
  /** Pixels per inch, when the file says. */
  density?: number;
}

/**
 * The header checks of a TIFF, PNG or JPEG, before any pixel is decoded; inspection and
 * rasterizing both go through them:
 * 1. page shapes (page-too-narrow, page-too-elongated) from our own reading of the headers, a few
 *    small reads however large the file says it is (every page of a TIFF);
 * 2. libvips's header of each page (sharp's metadata(), which does not decode pixels, so a
 *    decompression bomb costs nothing): the page count (too-many-pages), each page's shape again
 *    and its pixel count (too-many-pixels).
 * A header that cannot be read is `corrupt`. `signal` is checked between pages.
 */
export async function checkImageHeaders(
  source: string | Buffer,
  contentType: ImageContentType,
  limits: ImageHeaderLimits,
  signal?: AbortSignal,
): Promise<ImagePageHeader[]> {
  await checkOwnHeaderShapes(source, contentType, limits);
  const first = await libvipsHeader(source, 0);
  const count = first.pages ?? 1;
  if (limits.maxPages !== undefined && count > limits.maxPages) {
    throw new IngestRefusal('too-many-pages', `The document has more than the ${limits.maxPages} pages allowed`);
  }
  const pages: ImagePageHeader[] = [];
  for (let page = 0; page < count; page++) {
    signal?.throwIfAborted();
    const { width, height, density } = page === 0 ? first : await libvipsHeader(source, page);
    if (!width || !height) throw corruptImage();
    checkPageShape(width, height, limits);
    if (width * height > limits.maxPixelsPerPage) {
      throw new IngestRefusal('too-many-pixels', `A page has more than the ${limits.maxPixelsPerPage} pixels allowed`);
    }
    pages.push({ width, height, ...(density !== undefined ? { density } : {}) });
  }
  return pages;
}

export const corruptImage = () => new IngestRefusal('corrupt', 'The image is damaged or incomplete and cannot be read');

async function checkOwnHeaderShapes(source: string | Buffer, contentType: ImageContentType, limits: ImageHeaderLimits): Promise<void> {
  let pages;
  try {
    pages = await readImageHeader(source, contentType, limits.maxPages ?? DEFAULT_INGEST_LIMITS.maxPages);
  } catch {
    throw corruptImage();
  }
  for (const { width, height } of pages ?? []) {
    if (!width || !height) throw corruptImage();
    checkPageShape(width, height, limits);
  }
}

async function libvipsHeader(source: string | Buffer, page: number): Promise<sharp.Metadata> {
  try {
    // The pixel limit is checked by the caller, with its own reason; metadata() never decodes pixels.
    return await sharp(source, { page, limitInputPixels: false }).metadata();
  } catch {
    throw corruptImage();
  }
}
