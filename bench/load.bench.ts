/**
 * bench:load — mixed load on the embedded app (a separate server process, as `npm start` runs it)
 * for BENCH_SECONDS (default 60) with 50 connections at once: uploads of the shared fixture scans
 * (paced above what OCR can recognise, so OCR runs at full speed throughout), audited reads,
 * searches and version histories. Reports throughput and latency per operation, status classes
 * (only 4xx allowed, zero 5xx), how busy OCR stayed and the server's peak RSS; then, as the floor
 * OCR in process sets under that RSS, what an OCR pool of the server's size adds to this process's
 * resident memory once it has recognised the same pages (`ocrPoolRssMb`). One JSON line.
 */
import autocannon from 'autocannon';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DEFAULT_INGEST_LIMITS, inspectDocument } from '../libs/ingest/src/inspect/inspect-document';
import { OcrPool } from '../libs/ingest/src/ocr/ocr-pool';
import { rasterizeDocument } from '../libs/ingest/src/rasterize/rasterize-document';
import { call, signIn } from './support/call';
import { startOcrBenchServer } from './support/npm-start-settings';

const ROOT = resolve(__dirname, __dirname.includes('/dist/') ? '../..' : '..');
const SCANS = join(ROOT, 'test/fixtures/scans');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
/** Uploads per second: above the ~2.9 pages/s two OCR threads recognise here, so a backlog stands. */
const UPLOADS_PER_SEC = Number(process.env.BENCH_UPLOADS_PER_SEC ?? 3);
const CONNECTIONS = { uploads: UPLOADS_PER_SEC, reads: 20, searches: 15, history: 0 };
CONNECTIONS.history = 50 - CONNECTIONS.uploads - CONNECTIONS.reads - CONNECTIONS.searches;
const SEED_RECORDS = 100;
const ADMIN_PASSWORD = 'bench-first-boot-secret';
const PASSWORD = 'bench-password-1';
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAAAAAA6mKC9AAAAGElEQVR4nGNgaEAF6HzaCTBg5dDfHSgSAOhufgEUIq2bAAAAAElFTkSuQmCC', 'base64');
const SEARCH_TERMS = ['discharge', 'patient', 'medication', 'Gonzalez', 'report', 'history', 'blood', 'follow'];

interface Scan {
  file: string;
  mrn: string;
  patient: string;
  dob: string;
  type: string;
  pages: number;
}

const round = (x: number, d = 1): number => +x.toFixed(d);

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function peakRssMb(pid: number): number {
  const kb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return Math.round(kb / 1024);
}

/** A multipart body as a browser would send it (one file part and the metadata fields). */
function multipart(fields: Record<string, string>, file: Buffer, filename: string): { body: Buffer; contentType: string } {
  const boundary = `----medrec-bench-${randomUUID()}`;
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  }
  parts.push(
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`),
  );
  parts.push(file, Buffer.from(`\r\n--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

interface Operation {
  method: 'GET' | 'POST';
  connections: number;
  overallRate?: number;
  headers: Record<string, string>;
  /** Each request's path and body, round robin. */
  requests: Array<{ path: string; body?: Buffer; headers?: Record<string, string> }>;
}

async function run(baseUrl: string, op: Operation) {
  const latencies: number[] = [];
  let next = 0;
  const result = await new Promise<autocannon.Result>((resolvePromise, reject) => {
    const instance = autocannon(
      {
        url: baseUrl,
        connections: op.connections,
        ...(op.overallRate ? { overallRate: op.overallRate } : {}),
        duration: SECONDS,
        method: op.method,
        headers: op.headers,
        requests: [
          {
            setupRequest: (req: autocannon.Request) => {
              const pick = op.requests[next++ % op.requests.length];
              return { ...req, path: pick.path, ...(pick.body ? { body: pick.body } : {}), headers: { ...req.headers, ...(pick.headers ?? {}) } };
            },
          },
        ],
      },
      (error: Error | null, done) => (error ? reject(error) : resolvePromise(done)),
    );
    instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => latencies.push(responseTime));
  });
  latencies.sort((a, b) => a - b);
  return {
    connections: op.connections,
    requests: result.requests.total,
    perSec: round(result.requests.total / SECONDS),
    p50Ms: round(percentile(latencies, 50)),
    p95Ms: round(percentile(latencies, 95)),
    p99Ms: round(percentile(latencies, 99)),
    '2xx': result['2xx'],
    '4xx': result['4xx'],
    '5xx': result['5xx'],
    networkErrors: result.errors + result.timeouts,
  };
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'medrec-bench-load-'));
  const scans = JSON.parse(readFileSync(join(SCANS, 'manifest.json'), 'utf8')) as Scan[];
  let result: Record<string, unknown> = {};
  // As `npm start` runs it (BENCH_SERVER_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", for other flags).
  const server = await startOcrBenchServer(dataDir, ADMIN_PASSWORD);
  try {
    const { baseUrl } = server;
    const admin = await signIn(baseUrl, 'admin', ADMIN_PASSWORD);
    for (const [username, role] of [
      ['clerk1', 'clerk'],
      ['clinician1', 'clinician'],
      ['legal1', 'legal'],
    ]) {
      await call(baseUrl, 'POST', '/api/users', admin, { username, password: PASSWORD, roles: [role] });
    }
    const [clerk, clinician, legal] = await Promise.all(['clerk1', 'clinician1', 'legal1'].map((u) => signIn(baseUrl, u, PASSWORD)));

    // Records to read and whose history to ask for: small ones, so the reads measure the API.
    const ids: string[] = [];
    for (let i = 0; i < SEED_RECORDS; i++) {
      const { body, contentType } = multipart(
        { mrn: `MRN-${10000 + i}`, patientName: 'Load Patient', dateOfBirth: '1970-01-01', documentType: 'progress-note', title: `Progress note ${i}` },
        Buffer.concat([PNG, Buffer.from(String(i))]),
        'scan.png',
      );
      const res = await fetch(`${baseUrl}/api/records`, { method: 'POST', headers: { authorization: `Bearer ${clerk}`, 'content-type': contentType }, body });
      if (res.status !== 201) throw new Error(`seed upload: ${res.status} ${await res.text()}`);
      ids.push(((await res.json()) as { id: string }).id);
    }

    const uploads = scans.map((scan) => {
      const { body, contentType } = multipart(
        { mrn: scan.mrn, patientName: scan.patient, dateOfBirth: scan.dob, documentType: scan.type, title: scan.file, allowDuplicate: 'true' },
        readFileSync(join(SCANS, scan.file)),
        scan.file,
      );
      return { path: '/api/records', body, headers: { 'content-type': contentType } };
    });
    const pagesPerUpload = scans.reduce((n, s) => n + s.pages, 0) / scans.length;
    const startPosition = (await call<{ position: number }>(baseUrl, 'GET', '/health/ready')).position;

    const [uploadResult, reads, searches, history] = await Promise.all([
      run(baseUrl, {
        method: 'POST',
        connections: CONNECTIONS.uploads,
        overallRate: UPLOADS_PER_SEC,
        headers: { authorization: `Bearer ${clerk}` },
        requests: uploads,
      }),
      run(baseUrl, {
        method: 'GET',
        connections: CONNECTIONS.reads,
        headers: { authorization: `Bearer ${clinician}`, 'x-purpose-of-use': 'treatment' },
        requests: ids.map((id) => ({ path: `/api/records/${id}` })),
      }),
      run(baseUrl, {
        method: 'GET',
        connections: CONNECTIONS.searches,
        headers: { authorization: `Bearer ${clinician}`, 'x-purpose-of-use': 'treatment' },
        requests: SEARCH_TERMS.map((term) => ({ path: `/api/search?q=${encodeURIComponent(term)}&limit=20` })),
      }),
      run(baseUrl, {
        method: 'GET',
        connections: CONNECTIONS.history,
        headers: { authorization: `Bearer ${legal}`, 'x-purpose-of-use': 'legal' },
        requests: ids.map((id) => ({ path: `/api/records/${id}/history?limit=50` })),
      }),
    ]);
    const rss = peakRssMb(server.child.pid!);
    const memory = await memoryBreakdown(baseUrl);

    // How busy OCR stayed: pages recognised in the window, and the backlog it ended with.
    const status = await call<{ position: number }>(baseUrl, 'GET', '/health/ready');
    const ocr = await ocrProgress(baseUrl, clerk, [...new Set(scans.map((s) => s.type))], new Set(ids));
    const errors5xx = uploadResult['5xx'] + reads['5xx'] + searches['5xx'] + history['5xx'];
    result = {
      bench: 'load',
      seconds: SECONDS,
      connections: 50,
      uploads: { ...uploadResult, pagesPerUpload: round(pagesPerUpload, 2) },
      reads,
      searches,
      history,
      ocr: { ...ocr, pagesPerMin: round((ocr.pagesRecognised / SECONDS) * 60) },
      eventsAppended: status.position - startPosition,
      errors5xx,
      networkErrors: uploadResult.networkErrors + reads.networkErrors + searches.networkErrors + history.networkErrors,
      peakRssMb: rss,
      memoryAtEndMb: memory,
      targets: { readsP95Ms: 100, searchesP95Ms: 100, errors5xx: 0, peakRssMb: 500 },
      met: reads.p95Ms <= 100 && searches.p95Ms <= 100 && errors5xx === 0 && rss <= 500,
    };
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  const footprint = process.env.BENCH_OCR_FOOTPRINT === '0' ? 'skipped (BENCH_OCR_FOOTPRINT=0)' : await ocrPoolFootprint(scans);
  process.stdout.write(JSON.stringify({ ...result, ocrPoolRssMb: footprint }) + '\n');
}

/**
 * The floor under the server's RSS that OCR in process sets (BENCH_OCR_FOOTPRINT=0 skips it): in
 * this process, after the server has stopped, an OCR pool of the server's size (one thread a core)
 * started, then the same pages recognised two at a time. Resident memory it added, in MB.
 */
async function ocrPoolFootprint(scans: Scan[]): Promise<{ started: number; afterPages: number }> {
  const pages: Array<{ data: Buffer; dpi: number }> = [];
  for (const scan of scans) {
    const { contentType } = await inspectDocument(join(SCANS, scan.file), DEFAULT_INGEST_LIMITS);
    for await (const raster of rasterizeDocument(join(SCANS, scan.file), contentType))
      if (raster.image) pages.push({ data: raster.image.data, dpi: raster.image.dpi });
  }
  const rssMb = () => process.memoryUsage().rss / 1024 / 1024;
  const before = rssMb();
  const pool = await OcrPool.start();
  try {
    const started = rssMb() - before;
    let peak = 0;
    for (let i = 0; i < pages.length; i += 2) {
      await Promise.all(pages.slice(i, i + 2).map((page) => pool.recognize(page.data, { dpi: page.dpi })));
      peak = Math.max(peak, rssMb() - before);
    }
    return { started: Math.round(started), afterPages: Math.round(peak) };
  } finally {
    await pool.close();
  }
}

/** Where the server's memory is at the end, from its own /metrics (this bench runs on loopback): V8 heap, external (Buffers, WASM), RSS. */
async function memoryBreakdown(baseUrl: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const value = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
  return {
    rss: mb(value('medrec_process_resident_memory_bytes')),
    heapUsed: mb(value('medrec_nodejs_heap_size_used_bytes')),
    heapTotal: mb(value('medrec_nodejs_heap_size_total_bytes')),
    external: mb(value('medrec_nodejs_external_memory_bytes')),
  };
}

/** The fixture uploads of the run (found by document type, the seeded records left out): how many OCR finished, and their pages. */
async function ocrProgress(baseUrl: string, clerk: string, types: string[], seeded: Set<string>) {
  let documentsRecognised = 0;
  let documentsPending = 0;
  let pagesRecognised = 0;
  const headers = { 'x-purpose-of-use': 'operations' };
  for (const type of types) {
    let cursor: string | undefined;
    do {
      const page = await call<{ results: Array<{ recordId: string }>; nextCursor: string | null }>(
        baseUrl,
        'GET',
        `/api/search?documentType=${type}&limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        clerk,
        undefined,
        headers,
      );
      for (const { recordId } of page.results) {
        if (seeded.has(recordId)) continue;
        const rec = await call<{ versions: Array<{ pages: number | null; ocr: { status: string } }> }>(
          baseUrl,
          'GET',
          `/api/records/${recordId}/status`,
          clerk,
        );
        const [version] = rec.versions;
        if (version.ocr.status === 'pending') documentsPending++;
        else {
          documentsRecognised++;
          pagesRecognised += version.pages ?? 0;
        }
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }
  return { documentsRecognised, documentsPending, pagesRecognised };
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
