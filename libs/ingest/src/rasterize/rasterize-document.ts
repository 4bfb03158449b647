import type { DocumentContentType } from '../inspect/document-content-type';
import type { PageRaster, RasterizeOptions } from './page-raster';
import { rasterizeImagePages } from './rasterize-image';
import { rasterizePdfPages } from './rasterize-pdf';

export type { PageRaster, RasterEncoding, RasterizeOptions } from './page-raster';

/**
 * The pages of an inspected document, in order and one at a time, ready for OCR: grayscale images
 * at the document's native resolution (never resampled to a fixed dpi), or a PDF page's own text.
 * `source` is a file path or the document's bytes. Stop early with `break`/`return()`: the PDF
 * worker thread is ended in every case.
 */
export function rasterizeDocument(source: string | Buffer, contentType: DocumentContentType, options: RasterizeOptions = {}): AsyncGenerator<PageRaster> {
  return contentType === 'application/pdf' ? rasterizePdfPages(source, options) : rasterizeImagePages(source, contentType, options);
}
