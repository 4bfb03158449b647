import { PrometheusMetrics } from './prometheus-metrics';

describe('PrometheusMetrics', () => {
  it('renders what was reported, each metric under the medrec_ prefix', async () => {
    const metrics = new PrometheusMetrics();
    metrics.requestHandled({ method: 'GET', route: '/api/records/:id', status: 200, seconds: 0.02 });
    metrics.eventsAppended(3);
    metrics.eventsAppended(0);
    metrics.pageRecognised({ source: 'ocr', seconds: 1.5 });
    metrics.pageRecognised({ source: 'text-layer', seconds: 0 });
    metrics.uploadRefused('too-large');
    const text = await metrics.render();
    expect(text).toContain('medrec_http_request_duration_seconds_bucket{le="0.025",method="GET",route="/api/records/:id",status="200"} 1');
    expect(text).toContain('medrec_events_appended_total 3');
    expect(text).toContain('medrec_ocr_pages_recognised_total{source="ocr"} 1');
    expect(text).toContain('medrec_ocr_pages_recognised_total{source="text-layer"} 1');
    // Seconds per page are OCR's only.
    expect(text).toContain('medrec_ocr_page_seconds_count 1');
    expect(text).toContain('medrec_ocr_page_seconds_sum 1.5');
    expect(text).toContain('medrec_uploads_refused_total{reason="too-large"} 1');
    expect(text).toContain('medrec_process_cpu_user_seconds_total');
    expect(metrics.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
  });

  it('times each OCR stage and keeps the highest memory seen as it ended', async () => {
    const metrics = new PrometheusMetrics();
    metrics.ocrStage('rasterize', 0.25);
    metrics.ocrStage('rasterize', 0.5);
    metrics.ocrStage('queued', 2);
    const rss = process.memoryUsage().rss;
    const text = await metrics.render();
    expect(text).toContain('medrec_ocr_stage_seconds_count{stage="rasterize"} 2');
    expect(text).toContain('medrec_ocr_stage_seconds_sum{stage="rasterize"} 0.75');
    expect(text).toContain('medrec_ocr_stage_seconds_sum{stage="queued"} 2');
    const peak = Number(/medrec_ocr_stage_peak_memory_bytes\{stage="rasterize",kind="rss"\} (\d+)/.exec(text)?.[1]);
    expect(peak).toBeGreaterThan(rss / 2);
    expect(text).toMatch(/medrec_ocr_stage_peak_memory_bytes\{stage="queued",kind="heapUsed"\} \d+/);
  });

  it('reads the gauges when scraped, dropping a read model that is gone', async () => {
    const metrics = new PrometheusMetrics();
    let lags = [
      { name: 'search', lag: 4 },
      { name: 'ocr-jobs', lag: 0 },
    ];
    let depth = 2;
    metrics.readProjectionLag(async () => lags);
    metrics.readOcrQueueDepth(() => depth);
    let text = await metrics.render();
    expect(text).toContain('medrec_projection_lag_events{projection="search"} 4');
    expect(text).toContain('medrec_projection_lag_events{projection="ocr-jobs"} 0');
    expect(text).toContain('medrec_ocr_queue_depth 2');
    lags = [{ name: 'ocr-jobs', lag: 1 }];
    depth = 0;
    text = await metrics.render();
    expect(text).not.toContain('projection="search"');
    expect(text).toContain('medrec_projection_lag_events{projection="ocr-jobs"} 1');
    expect(text).toContain('medrec_ocr_queue_depth 0');
  });

  it('keeps a registry per instance: two apps in one process count apart', async () => {
    const a = new PrometheusMetrics();
    const b = new PrometheusMetrics();
    a.eventsAppended(5);
    expect(await a.render()).toContain('medrec_events_appended_total 5');
    expect(await b.render()).toContain('medrec_events_appended_total 0');
  });
});
