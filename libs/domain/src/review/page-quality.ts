/**
 * What was measured on one page where it was rasterized for OCR (and after its OCR): numbers only,
 * never text, so that they may travel in clear in review items. Computed by
 * libs/ingest/src/quality/page-quality.ts.
 */
export interface PageQuality {
  /** Share of the page's area (margins left out) that is ink, 0-1, on a 75 dpi copy. */
  inkRatio: number;
  /** Standard deviation of the grey levels (0-255) of that copy: near 0 for an empty page. */
  grayStdDev: number;
  /** Grey level of the paper (the 90th percentile, 0-255): low for a page scanned too dark. */
  paperLevel: number;
  /** Estimated angle of the text lines, in degrees (positive: rising to the right); 0 when there is too little ink to tell. */
  skewDegrees: number;
  /** Decided after OCR: nothing on the page (its text is then left out of the record's text). */
  blank: boolean;
  skewed: boolean;
  dark: boolean;
}

/** Where a page is flagged for review. */
export interface ReviewThresholds {
  /** OCR mean confidence (0-100) under which a page goes to review (MEDREC_REVIEW_CONFIDENCE, default 70). */
  minConfidence: number;
  /** |skewDegrees| above which a page is skewed. */
  maxSkewDegrees: number;
  /** paperLevel under which a page is too dark. */
  minPaperLevel: number;
  /** inkRatio under which a page with no confidently read word is blank. */
  maxBlankInkRatio: number;
}

export const DEFAULT_REVIEW_THRESHOLDS: ReviewThresholds = {
  minConfidence: 70,
  maxSkewDegrees: 2,
  minPaperLevel: 110,
  maxBlankInkRatio: 0.002,
};
