/**
 * What the processes measure, as the code that does the work reports it. The port keeps prom-client
 * out of every lib but this folder's adapter; labels are closed sets (a method, a route template, a
 * status, a refusal reason, a read model's name), never an id, a path or any text of a record.
 */
export interface Metrics {
  /** One HTTP request answered: `route` is the route's template (`/api/records/:id`), never the URL. */
  requestHandled(request: { method: string; route: string; status: number; seconds: number }): void;
  /** Events this process appended to the event store. */
  eventsAppended(count: number): void;
  /** A page whose text was recognised: by OCR (timed) or read from the PDF's own text layer. */
  pageRecognised(page: { source: 'ocr' | 'text-layer'; seconds: number }): void;
  /**
   * A stage of a document's OCR ended (`stage` is one of OCR_STAGES: queued, claim, rasterize,
   * recognize...). The adapter also samples the process's memory then, to show what each stage holds.
   */
  ocrStage(stage: string, seconds: number): void;
  /** An upload refused: `reason` is the refusal's slug (`too-large`, `unsupported-type`, ...). */
  uploadRefused(reason: string): void;
  /** Read on every scrape: each read model's lag (events of the store not yet applied). */
  readProjectionLag(read: () => Promise<ReadonlyArray<{ name: string; lag: number }>>): void;
  /** Read on every scrape: OCR jobs pending (not yet completed or failed for good). */
  readOcrQueueDepth(read: () => number): void;
}

export const METRICS = Symbol('METRICS');
