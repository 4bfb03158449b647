import sharp from 'sharp';
import type { IngestLimits } from './ingest-limits';
import { IngestRefusal } from './ingest-refusal';

/**
 * Limits first, from the image headers only (sharp's metadata() does not decode pixels, so a
 * decompression bomb costs nothing), then integrity: every page must decode whole.
 * Returns the page count.
 */
export async function inspectImage(filePath: string, limits: IngestLimits): Promise<number> {
  const first = await readHeader(filePath, 0);
  const pages = first.pages ?? 1;
  if (pages > limits.maxPages) {
    throw new IngestRefusal('too-many-pages', `The document has more than the ${limits.maxPages} pages allowed`);
  }
  for (let page = 0; page < pages; page++) {
    const header = page === 0 ? first : await readHeader(filePath, page);
    if (!header.width || !header.height) throw corrupt();
    if (header.width * header.height > limits.maxPixelsPerPage) {
      throw new IngestRefusal('too-many-pixels', `A page has more than the ${limits.maxPixelsPerPage} pixels allowed`);
    }
  }
  for (let page = 0; page < pages; page++) {
    await decodeWhole(filePath, page, limits.maxPixelsPerPage);
  }
  return pages;
}

/** sharp options shared with rasterizing: refuse truncated or broken pixel data, cap the decoded size. */
export const strictDecoding = (page: number, maxPixelsPerPage: number): sharp.SharpOptions => ({
  page,
  failOn: 'error',
  limitInputPixels: maxPixelsPerPage,
});

async function readHeader(filePath: string, page: number): Promise<sharp.Metadata> {
  try {
    // The pixel limit is checked by the caller, with its own reason; metadata() never decodes pixels.
    return await sharp(filePath, { page, limitInputPixels: false }).metadata();
  } catch {
    throw corrupt();
  }
}

async function decodeWhole(filePath: string, page: number, maxPixelsPerPage: number): Promise<void> {
  try {
    // stats() decodes every pixel (in libvips's worker threads) and keeps none of them.
    await sharp(filePath, strictDecoding(page, maxPixelsPerPage)).stats();
  } catch {
    throw corrupt();
  }
}

const corrupt = () => new IngestRefusal('corrupt', 'The image is damaged or incomplete and cannot be read');
