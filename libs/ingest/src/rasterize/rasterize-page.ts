import type { DocumentContentType } from '../inspect/document-content-type';
import type { RasterizeOptions } from './page-raster';
import { rasterizeImagePage } from './rasterize-image';
import { rasterizePdfPage } from './rasterize-pdf';

/** One page as an image: PNG, 8-bit grayscale, its resolution in its pHYs chunk. */
export interface RenderedPage {
  /** 1-based. */
  page: number;
  png: Buffer;
  width: number;
  height: number;
  dpi: number;
}

export type RenderPageOptions = Omit<RasterizeOptions, 'encoding'> & {
  /** The caller gave up: the decode leaves the slots' queue, a PDF worker thread is ended. */
  signal?: AbortSignal;
};

/**
 * Page `page` (from 1) of an inspected document as a grayscale PNG of the very pixels OCR reads
 * (rasterizeDocument with the same options): same size, orientation and resolution, so that OCR
 * word boxes, in that page's pixels, fall on the words of this image. Forced: a PDF page with a text
 * layer, which OCR takes as text and never renders, is rendered here too, at the resolution an
 * image page would get (its scan's own, else `vectorDpi`, 300 by default). Only that page is decoded
 * or rendered, one page's pixels in memory, in one of the process's decode slots, within
 * `pageTimeoutMs`; the document's limits are checked as rasterizing checks them (IngestRefusal).
 * Undefined when the document has no such page.
 */
export async function rasterizePage(
  source: string | Buffer,
  contentType: DocumentContentType,
  page: number,
  options: RenderPageOptions = {},
): Promise<RenderedPage | undefined> {
  const { signal, ...rest } = options;
  const settings = { ...rest, encoding: 'png' as const };
  const raster =
    contentType === 'application/pdf'
      ? await rasterizePdfPage(source, page, settings, signal)
      : await rasterizeImagePage(source, contentType, page, settings, signal);
  if (!raster?.image) return undefined;
  const { data, width, height, dpi } = raster.image;
  return { page: raster.page, png: data, width, height, dpi };
}
