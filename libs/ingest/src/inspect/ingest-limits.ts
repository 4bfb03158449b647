/** What an upload may cost us before it is refused: bytes on disk, pages, and decoded pixels per page. */
export interface IngestLimits {
  maxBytes: number;
  maxPages: number;
  /** Width x height of one page at its native resolution (what rasterizing for OCR will allocate). */
  maxPixelsPerPage: number;
}

export const DEFAULT_INGEST_LIMITS: Readonly<IngestLimits> = Object.freeze({
  maxBytes: 50 * 1024 * 1024,
  maxPages: 500,
  // A letter page at 600 dpi is ~34 M pixels; 60 M leaves room for legal size and large formats.
  maxPixelsPerPage: 60_000_000,
});
