/** What an upload may cost us before it is refused: bytes on disk, pages, decoded pixels per page, page shape, time. */
export interface IngestLimits {
  maxBytes: number;
  maxPages: number;
  /** Width x height of one page at its native resolution (what rasterizing for OCR will allocate). */
  maxPixelsPerPage: number;
  /** Shortest side a page may have, in pixels (at the resolution it would be OCR'd at). */
  minPageSidePixels: number;
  /** Longest side over shortest side a page may have. */
  maxPageAspectRatio: number;
  /** Longest an inspection may take, all pages together: over it, the upload is refused (inspection-timeout). */
  inspectionTimeoutMs: number;
}

export const DEFAULT_INGEST_LIMITS: Readonly<IngestLimits> = Object.freeze({
  maxBytes: 50 * 1024 * 1024,
  maxPages: 500,
  // A letter page at 600 dpi is ~34 M pixels; 60 M leaves room for legal size and large formats.
  maxPixelsPerPage: 60_000_000,
  // No page of a chart is narrower than a few millimetres: 16 pixels is 2 mm at 200 dpi.
  minPageSidePixels: 16,
  // A till receipt or an ECG strip is 10-15 times longer than wide; 20:1 keeps them and refuses
  // 1 x 5,000,000 "pages" (a 10 KB PNG that took 13 s to decode, or gigabytes to OCR).
  maxPageAspectRatio: 20,
  // Inspecting 500 plausible pages takes seconds; minutes means something is wrong with the file.
  inspectionTimeoutMs: 120_000,
});
