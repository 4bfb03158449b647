import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import sharp from 'sharp';
import { decodeSlots } from './decode-slots';
import type { Deadline } from './deadline';
import { checkImageHeaders, corruptImage, ImageContentType } from './image-page-headers';
import type { IngestLimits } from './ingest-limits';
import { IngestRefusal } from './ingest-refusal';

/**
 * The header checks first (checkImageHeaders: shapes, page count, pixels, nothing decoded), then
 * integrity: every page must decode whole, one decode slot at a time, within the deadline.
 * Returns the page count.
 */
export async function inspectImage(filePath: string, contentType: ImageContentType, limits: IngestLimits, deadline: Deadline): Promise<number> {
  const { length: pages } = await checkImageHeaders(filePath, contentType, limits, deadline.signal);
  for (let page = 0; page < pages; page++) {
    deadline.signal.throwIfAborted();
    await decodeSlots.run(() => decodeWhole(filePath, page, limits.maxPixelsPerPage, deadline), deadline.signal);
  }
  return pages;
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
  return corruptImage();
}

async function decodeWhole(filePath: string, page: number, maxPixelsPerPage: number, deadline: Deadline): Promise<void> {
  deadline.signal.throwIfAborted();
  try {
    // Every pixel decoded and streamed out, none kept. Not stats(): with two decodes at once it
    // let a truncated JPEG through about one time in five (libvips 8.17 / sharp 0.34: its
    // truncation error got lost between concurrent operations); the streamed output fails every time.
    await pipeline(sharp(filePath, strictDecoding(page, maxPixelsPerPage)).timeout(decodeTimeout(deadline)).raw(), discard());
  } catch (error) {
    throw decodeFailure(deadline, error);
  }
}

/** A sink that drops what it is given. */
const discard = (): Writable =>
  new Writable({
    write(_chunk, _encoding, done) {
      done();
    },
  });
