import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Metrics } from './metrics.port';

export const METRICS_PREFIX = 'medrec_';

const MEMORY_KINDS = ['rss', 'heapTotal', 'heapUsed', 'external', 'arrayBuffers'] as const;

/**
 * The Metrics port on prom-client, with a registry of its own per process (or per app in a test
 * that starts several), rendered in the Prometheus text format by `render()`.
 */
export class PrometheusMetrics implements Metrics {
  readonly registry = new Registry();
  private readonly requestSeconds: Histogram<'method' | 'route' | 'status'>;
  private readonly appended: Counter;
  private readonly pages: Counter<'source'>;
  private readonly secondsPerPage: Histogram;
  private readonly refused: Counter<'reason'>;
  private readonly stageSeconds: Histogram<'stage'>;
  private readonly stageMemory: Gauge<'stage' | 'kind'>;
  /** Highest memory figures seen at the end of each OCR stage. */
  private readonly stagePeaks = new Map<string, NodeJS.MemoryUsage>();
  private projectionLag?: () => Promise<ReadonlyArray<{ name: string; lag: number }>>;
  private ocrQueueDepth?: () => number;

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: METRICS_PREFIX });
    this.requestSeconds = new Histogram({
      name: `${METRICS_PREFIX}http_request_duration_seconds`,
      help: 'HTTP requests by method, route template and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.appended = new Counter({ name: `${METRICS_PREFIX}events_appended_total`, help: 'Events this process appended to the event store', registers });
    this.pages = new Counter({
      name: `${METRICS_PREFIX}ocr_pages_recognised_total`,
      help: "Pages whose text this process recognised, by source (ocr, or the PDF's text-layer)",
      labelNames: ['source'],
      registers,
    });
    this.secondsPerPage = new Histogram({
      name: `${METRICS_PREFIX}ocr_page_seconds`,
      help: 'Seconds of OCR per page (text-layer pages are not OCR and not counted here)',
      buckets: [0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120],
      registers,
    });
    this.stageSeconds = new Histogram({
      name: `${METRICS_PREFIX}ocr_stage_seconds`,
      help: "Seconds of each stage of a document's OCR, from its upload's event to its OcrCompleted (per document, or per page for rasterize, ocr-queue and recognize)",
      labelNames: ['stage'],
      buckets: [0.001, 0.005, 0.025, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60],
      registers,
    });
    this.stageMemory = new Gauge({
      name: `${METRICS_PREFIX}ocr_stage_peak_memory_bytes`,
      help: "The process's highest memory (process.memoryUsage(): rss, heapTotal, heapUsed, external, arrayBuffers) seen as each OCR stage ended",
      labelNames: ['stage', 'kind'],
      registers,
    });
    this.refused = new Counter({ name: `${METRICS_PREFIX}uploads_refused_total`, help: 'Uploads refused, by reason', labelNames: ['reason'], registers });
    // Gauges read when scraped: the values live elsewhere (the read models), nothing to keep here.
    const lag: Gauge<'projection'> = new Gauge({
      name: `${METRICS_PREFIX}projection_lag_events`,
      help: 'Events of the store a read model has not applied yet',
      labelNames: ['projection'],
      registers,
      collect: async () => {
        lag.reset();
        for (const { name, lag: behind } of (await this.projectionLag?.()) ?? []) lag.set({ projection: name }, behind);
      },
    });
    const queue: Gauge = new Gauge({
      name: `${METRICS_PREFIX}ocr_queue_depth`,
      help: 'OCR jobs pending (versions not yet recognised or failed for good)',
      registers,
      collect: () => {
        if (this.ocrQueueDepth) queue.set(this.ocrQueueDepth());
      },
    });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  requestHandled({ method, route, status, seconds }: { method: string; route: string; status: number; seconds: number }): void {
    this.requestSeconds.observe({ method, route, status: String(status) }, seconds);
  }

  eventsAppended(count: number): void {
    if (count > 0) this.appended.inc(count);
  }

  pageRecognised({ source, seconds }: { source: 'ocr' | 'text-layer'; seconds: number }): void {
    this.pages.inc({ source });
    if (source === 'ocr') this.secondsPerPage.observe(seconds);
  }

  ocrStage(stage: string, seconds: number): void {
    this.stageSeconds.observe({ stage }, seconds);
    const now = process.memoryUsage();
    const peak = this.stagePeaks.get(stage);
    for (const kind of MEMORY_KINDS) {
      if (peak && peak[kind] >= now[kind]) continue;
      this.stageMemory.set({ stage, kind }, now[kind]);
      if (peak) peak[kind] = now[kind];
    }
    if (!peak) this.stagePeaks.set(stage, now);
  }

  uploadRefused(reason: string): void {
    this.refused.inc({ reason });
  }

  readProjectionLag(read: () => Promise<ReadonlyArray<{ name: string; lag: number }>>): void {
    this.projectionLag = read;
  }

  readOcrQueueDepth(read: () => number): void {
    this.ocrQueueDepth = read;
  }
}
