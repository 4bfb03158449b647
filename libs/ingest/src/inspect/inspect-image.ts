import sharp from 'sharp';
import { decodeSlots } from './decode-slots';
import type { Deadline } from './deadline';
import type { DocumentContentType } from './document-content-type';
import { readImageHeader } from './image-header';
import type { IngestLimits } from './ingest-limits';
import { IngestRefusal } from './ingest-refusal';
import { checkPageShape, PageShapeLimits } from './page-shape';

/**
 * Shape first, from our own reading of the headers (a few small reads, however large the file
 * says it is), then the limits from libvips's headers (sharp's metadata() does not decode pixels,
 * so a decompression bomb costs nothing), then integrity: every page must decode whole, one
 * decode slot at a time, within the deadline. Returns the page count.
 */
export async function inspectImage(filePath: string, contentType: Exclude<DocumentContentType, 'application/pdf'>, limits: IngestLimits, deadline: Deadline): Promise<number> {
  await checkHeaderShapes(filePath, contentType, limits);
  const first = await readHeader(filePath, 0);
  const pages = first.pages ?? 1;
  if (pages > limits.maxPages) {
    throw new IngestRefusal('too-many-pages', `The document has more than the ${limits.maxPages} pages allowed`);
  }
  for (let page = 0; page < pages; page++) {
    deadline.signal.throwIfAborted();
    const header = page === 0 ? first : await readHeader(filePath, page);
    if (!header.width || !header.height) throw corrupt();
    checkPageShape(header.width, header.height, limits);
    if (header.width * header.height > limits.maxPixelsPerPage) {
      throw new IngestRefusal('too-many-pixels', `A page has more than the ${limits.maxPixelsPerPage} pixels allowed`);
    }
  }
  for (let page = 0; page < pages; page++) {
    deadline.signal.throwIfAborted();
    await decodeSlots.run(() => decodeWhole(filePath, page, limits.maxPixelsPerPage, deadline), deadline.signal);
  }
  return pages;
}

/**
 * Refuses an implausible page shape (page-too-narrow, page-too-elongated) from the headers alone:
 * every page of a TIFF, the one of a PNG or JPEG. Used by inspection and again before rasterizing.
 */
export async function checkHeaderShapes(
  source: string | Buffer,
  contentType: Exclude<DocumentContentType, 'application/pdf'>,
  limits: PageShapeLimits & { maxPages: number },
): Promise<void> {
  let pages;
  try {
    pages = await readImageHeader(source, contentType, limits.maxPages);
  } catch {
    throw corrupt();
  }
  for (const { width, height } of pages ?? []) {
    if (!width || !height) throw corrupt();
    checkPageShape(width, height, limits);
  }
}

/** sharp options shared with rasterizing: refuse truncated or broken pixel data, cap the decoded size. */
export const strictDecoding = (page: number, maxPixelsPerPage: number): sharp.SharpOptions => ({
  page,
  failOn: 'error',
  limitInputPixels: maxPixelsPerPage,
});

/** libvips's own kill switch for a decode (whole seconds, at least 1): what is left of the deadline. */
export const decodeTimeout = (deadline: Deadline): { seconds: number } => ({ seconds: Math.max(1, Math.ceil(deadline.remainingMs() / 1000)) });

/** An error from a decode: the deadline's reason once it has passed (libvips stopped), else a damaged file. */
export function decodeFailure(deadline: Deadline, error: unknown): Error {
  if (deadline.signal.aborted) return deadline.signal.reason as Error;
  if (error instanceof Error && /^timeout\b/i.test(error.message)) {
    return new IngestRefusal('inspection-timeout', 'The image could not be decoded within the time allowed');
  }
  return corrupt();
}

async function readHeader(filePath: string, page: number): Promise<sharp.Metadata> {
  try {
    // The pixel limit is checked by the caller, with its own reason; metadata() never decodes pixels.
    return await sharp(filePath, { page, limitInputPixels: false }).metadata();
  } catch {
    throw corrupt();
  }
}

async function decodeWhole(filePath: string, page: number, maxPixelsPerPage: number, deadline: Deadline): Promise<void> {
  deadline.signal.throwIfAborted();
  try {
    // stats() decodes every pixel (in libvips's worker threads) and keeps none of them.
    await sharp(filePath, strictDecoding(page, maxPixelsPerPage)).timeout(decodeTimeout(deadline)).stats();
  } catch (error) {
    throw decodeFailure(deadline, error);
  }
}

const corrupt = () => new IngestRefusal('corrupt', 'The image is damaged or incomplete and cannot be read');
