/**
 * The server's own OCR stage timings and memory, read from its /metrics (the bench runs on
 * loopback, which /metrics answers without a token): per stage the count, total and mean seconds,
 * and the highest RSS / V8 heap / external memory seen as the stage ended.
 */
const MB = 1024 * 1024;

export interface StageFigures {
  count: number;
  seconds: number;
  meanMs: number;
  peakRssMb?: number;
  peakHeapUsedMb?: number;
  peakExternalMb?: number;
}

export type StageBreakdown = Record<string, StageFigures>;

export async function scrapeMetrics(baseUrl: string): Promise<string> {
  const res = await fetch(`${baseUrl}/metrics`);
  if (res.status !== 200) throw new Error(`/metrics: ${res.status}`);
  return res.text();
}

/** A sample's value: `name{labels}` with the labels in any order. */
function samples(text: string, name: string): Array<{ labels: Record<string, string>; value: number }> {
  const out: Array<{ labels: Record<string, string>; value: number }> = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-z_]+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').split(',').filter(Boolean)) {
      const [k, v] = pair.split('=');
      labels[k] = v.replace(/^"|"$/g, '');
    }
    out.push({ labels, value: Number(match[3]) });
  }
  return out;
}

export function metricValue(text: string, name: string): number | undefined {
  return samples(text, name)[0]?.value;
}

export function stageBreakdown(text: string): StageBreakdown {
  const out: StageBreakdown = {};
  const counts = samples(text, 'medrec_ocr_stage_seconds_count');
  const sums = samples(text, 'medrec_ocr_stage_seconds_sum');
  const memory = samples(text, 'medrec_ocr_stage_peak_memory_bytes');
  for (const { labels, value: count } of counts) {
    const stage = labels.stage;
    const seconds = sums.find((s) => s.labels.stage === stage)?.value ?? 0;
    const peak = (kind: string) => {
      const v = memory.find((m) => m.labels.stage === stage && m.labels.kind === kind)?.value;
      return v === undefined ? undefined : Math.round(v / MB);
    };
    out[stage] = {
      count,
      seconds: +seconds.toFixed(2),
      meanMs: count ? Math.round((seconds / count) * 1000) : 0,
      peakRssMb: peak('rss'),
      peakHeapUsedMb: peak('heapUsed'),
      peakExternalMb: peak('external'),
    };
  }
  return out;
}
