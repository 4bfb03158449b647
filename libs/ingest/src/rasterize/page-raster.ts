import type { RasterQuality } from '../quality/page-quality';

/** How page images are handed to OCR: `auto` (PBM when bilevel, else PNG), PNG, or PGM (no compression to undo). */
export type RasterEncoding = 'auto' | 'png' | 'pgm';

/** One page, ready for OCR: either the PDF page's own text, or an 8-bit grayscale image. */
export interface PageRaster {
  /** 1-based. */
  page: number;
  /** Text of a PDF page's own text layer, when it has meaningful text (no OCR needed, no image). */
  textLayer?: string;
  image?: {
    /** Encoded grayscale image (see RasterizeOptions.encoding). */
    data: Buffer;
    width: number;
    height: number;
    /** Native resolution of the page: the scan's own, never resampled. */
    dpi: number;
    /** The page's raster measures (blank, skew, darkness), when RasterizeOptions.measureQuality asked for them. */
    quality?: RasterQuality;
  };
}

export interface RasterizeOptions {
  /** Measure each image page's quality (quality/page-quality.ts) from its pixels before they are encoded. Default false. */
  measureQuality?: boolean;
  /** Default 'auto'. */
  encoding?: RasterEncoding;
  /** Refuses (IngestRefusal 'too-many-pixels') a page larger than this. Default: DEFAULT_INGEST_LIMITS. */
  maxPixelsPerPage?: number;
  /**
   * Refuse (IngestRefusal 'page-too-narrow' / 'page-too-elongated') a page of an implausible shape
   * before decoding it, as inspection does: content stored before these limits, or under looser
   * ones, never reaches OCR. Default: DEFAULT_INGEST_LIMITS.
   */
  minPageSidePixels?: number;
  maxPageAspectRatio?: number;
  /**
   * Resolution reported for a TIFF/PNG/JPEG without a plausible one of its own (absent, or the
   * 72/96 dpi screen defaults that software writes when it does not know). Default 200 (scanners' usual).
   */
  defaultImageDpi?: number;
  /** Resolution of PDF pages that show no scan and have no text layer (vector drawings). Default 300. */
  vectorDpi?: number;
  /** Longest a single PDF page may take to render. Default 60 s. */
  pageTimeoutMs?: number;
}

export const DEFAULT_IMAGE_DPI = 200;
export const DEFAULT_VECTOR_DPI = 300;
export const DEFAULT_PAGE_TIMEOUT_MS = 60_000;
