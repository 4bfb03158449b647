/**
 * bench:ingest — the shared scans through the whole pipeline over HTTP on the embedded app (a
 * separate server process): upload -> inspection -> encrypted storage -> OCR -> OcrCompleted.
 * Reports pages/min end to end, CER against the ground truth (mean, median, worst), and the
 * server's peak RSS. When `ocrmypdf` is installed, the same pages go through
 * `ocrmypdf --jobs 2` in the same run, and the ratios are given. Also the ceiling: the same pages,
 * rasterized beforehand, through the OCR pool alone (recognition and nothing else), with the
 * pool's page preprocessing and without it: the recognition cost and the CER
 * gain of the preprocessing in the same run. CER is also given per document and per degradation
 * level of the fixtures' manifest. One JSON line.
 */
import { cpuSeconds, ThreadCpuSampler } from './support/process-cpu';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DEFAULT_INGEST_LIMITS, inspectDocument } from '../libs/ingest/src/inspect/inspect-document';
import { OcrPool, OcrPreprocessing } from '../libs/ingest/src/ocr/ocr-pool';
import { characterErrorRate } from '../libs/ingest/src/quality/cer';
import { rasterizeDocument } from '../libs/ingest/src/rasterize/rasterize-document';
import { call, signIn } from './support/call';
import { MemoryMapSampler } from './support/memory-map';
import { npmStartSettings, startOcrBenchServer } from './support/npm-start-settings';
import { metricValue, scrapeMetrics, stageBreakdown } from './support/ocr-stages';

const ROOT = resolve(__dirname, __dirname.includes('/dist/') ? '../..' : '..');
const SCANS = process.env.BENCH_SCANS ?? join(ROOT, 'test/fixtures/scans');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const ADMIN_PASSWORD = 'bench-first-boot-secret';
/** OCR threads of the server, the recognition-only ceiling and OCRmyPDF alike (BENCH_OCR_WORKERS, default 2). */
const OCR_WORKERS = Number(process.env.BENCH_OCR_WORKERS ?? 2);
/**
 * BENCH_MEMORY_MAP=1: the server's smaps sampled every 200 ms during the ingest, and the sample of
 * highest RSS reported by kind of memory (peakMemoryMap: see support/memory-map.ts). Off by
 * default: each sample costs this process a few ms of CPU, which the speed figures would share.
 */
const MEMORY_MAP = process.env.BENCH_MEMORY_MAP === '1';
/** MEDREC_OCR_LEXICON=false: the server (it reads it from the environment) and the ceiling's pool without the clinical lexicon. */
const LEXICON = !['false', '0', 'no'].includes((process.env.MEDREC_OCR_LEXICON ?? '').toLowerCase());

interface Scan {
  file: string;
  text: string;
  mrn: string;
  patient: string;
  dob: string;
  type: string;
  pages: number;
  /** 0 (clean) to 2 (most degraded), as the fixtures were made. */
  degradation: number;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
/** The server's malloc settings and node flags, as `npm start` gives them unless the environment says otherwise (reported). */
const NPM_START = npmStartSettings();
const round = (x: number, d = 5): number => +x.toFixed(d);
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** CER (`rates`, in the order of `scans`) per document and per degradation level: where the errors are. */
function cerBreakdown(scans: Scan[], rates: number[]) {
  const byDegradation: Record<string, { documents: number; meanCer: number; worstCer: number }> = {};
  for (const level of [...new Set(scans.map((scan) => scan.degradation))].sort()) {
    const levelRates = rates.filter((_, i) => scans[i].degradation === level);
    byDegradation[String(level)] = { documents: levelRates.length, meanCer: round(mean(levelRates)), worstCer: round(Math.max(...levelRates)) };
  }
  return { byDocument: Object.fromEntries(scans.map((scan, i) => [scan.file, round(rates[i])])), byDegradation };
}

/** How often the bench asks whether the last OcrCompleted has been recorded. */
const POLL_MS = 50;

/** The server closes its idle OCR pool after this (MEDREC_OCR_IDLE_SECONDS; 60 by default, shorter here to see the steady state). */
const OCR_IDLE_SECONDS = Number(process.env.BENCH_OCR_IDLE_SECONDS ?? 5);
/** The steady state is read this long after the idle pool's close: the server then has nothing left to do. */
const STEADY_AFTER_CLOSE_SECONDS = Number(process.env.BENCH_STEADY_SECONDS ?? 10);

function peakRssMb(pid: number): number {
  return statusMb(pid, 'VmHWM');
}

function statusMb(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

async function medrec(scans: Scan[]) {
  const dataDir = mkdtempSync(join(tmpdir(), 'medrec-bench-ingest-'));
  const server = await startOcrBenchServer(dataDir, ADMIN_PASSWORD, {
    // The same parallelism everywhere in this bench: the server, the ceiling and `ocrmypdf --jobs`.
    MEDREC_OCR_WORKERS: String(OCR_WORKERS),
    MEDREC_OCR_IDLE_SECONDS: String(OCR_IDLE_SECONDS),
  });
  try {
    const { baseUrl } = server;
    const admin = await signIn(baseUrl, 'admin', ADMIN_PASSWORD);
    await call(baseUrl, 'POST', '/api/users', admin, { username: 'clerk1', password: 'bench-password-1', roles: ['clerk'] });
    const clerk = await signIn(baseUrl, 'clerk1', 'bench-password-1');
    const memoryMap = MEMORY_MAP ? new MemoryMapSampler(server.child.pid!) : undefined;
    const cpuAtStart = cpuSeconds(server.child.pid!);
    const threads = new ThreadCpuSampler(server.child.pid!);
    const started = Date.now();
    let uploadSeconds = 0;
    const uploaded: Array<{ id: string; scan: Scan }> = [];
    for (let round = 0; round < ROUNDS; round++) {
      for (const scan of scans) {
        const form = new FormData();
        for (const [k, v] of Object.entries({
          mrn: scan.mrn,
          patientName: scan.patient,
          dateOfBirth: scan.dob,
          documentType: scan.type,
          title: scan.file,
          allowDuplicate: 'true',
        }))
          form.append(k, v);
        form.append('file', new Blob([readFileSync(join(SCANS, scan.file))]), scan.file);
        const uploading = performance.now();
        uploaded.push({ id: (await call<{ id: string }>(baseUrl, 'POST', '/api/records', clerk, form)).id, scan });
        uploadSeconds += (performance.now() - uploading) / 1000;
      }
    }
    const uploadsEndedSeconds = (Date.now() - started) / 1000;
    // Until the last OcrCompleted, from the counts of GET /api/stats: they are not audited, so
    // waiting costs the server little (a GET of each record would append an access event per poll).
    for (;;) {
      const { ocr } = await call<{ ocr: { pending: number; done: number; failed: number } }>(baseUrl, 'GET', '/api/stats', admin);
      if (ocr.pending === 0 && ocr.done + ocr.failed >= uploaded.length) break;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    const seconds = (Date.now() - started) / 1000;
    const headers = { 'x-purpose-of-use': 'operations' };
    for (const { id } of uploaded) {
      const rec = await call<{ versions: Array<{ ocr: { status: string } }> }>(baseUrl, 'GET', `/api/records/${id}`, clerk, undefined, headers);
      if (rec.versions[0].ocr.status !== 'done') throw new Error(`OCR of an upload ended ${rec.versions[0].ocr.status}`);
    }
    const rss = peakRssMb(server.child.pid!);
    const peakMemoryMap = memoryMap?.stop();
    const serverCpu = cpuSeconds(server.child.pid!);
    // From the first upload on: the server's start and the sign-ins (password hashing) are not ingest.
    const threadCpu = threads.stop();
    const ingestCpu = serverCpu - cpuAtStart;
    const metrics = await scrapeMetrics(baseUrl);
    const stages = stageBreakdown(metrics);
    const rates: number[] = [];
    for (const { id, scan } of uploaded.slice(0, scans.length)) {
      const text = await call<{ pages: Array<{ text: string }> }>(baseUrl, 'GET', `/api/records/${id}/versions/1/text`, clerk, undefined, headers);
      rates.push(characterErrorRate(readFileSync(join(SCANS, scan.text), 'utf8'), text.pages.map((p) => p.text).join('\n')));
    }
    const pages = ROUNDS * scans.reduce((n, s) => n + s.pages, 0);
    const steady = await steadyState(baseUrl, server.child.pid!);
    const recognizeSeconds = stages.recognize?.seconds ?? 0;
    const timing = {
      uploadSeconds: round(uploadSeconds, 2),
      uploadsEndedAtSeconds: round(uploadsEndedSeconds, 2),
      // Of the OCR workers' time between the first upload and the last OcrCompleted, the share spent recognising.
      ocrBusyShare: round(recognizeSeconds / (OCR_WORKERS * seconds), 3),
      stages,
      // CPU of the server from the first upload to the last OcrCompleted, and by thread (OCR threads are the node#tid ones with most).
      serverIngestCpuSeconds: round(ingestCpu, 2),
      serverCpuByThread: threadCpu,
    };
    return { pages, seconds, pagesPerMin: round((pages / seconds) * 60, 1), rates, peakRssMb: rss, peakMemoryMap, serverCpuSeconds: serverCpu, timing, steady };
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * The server's memory once it has nothing to do: OCR_IDLE_SECONDS after the last OcrCompleted the
 * OCR pool closes (its workers end), and STEADY_AFTER_CLOSE_SECONDS later its RSS (VmRSS) and V8
 * heap are read — no request in between, so what is left is what the process keeps.
 */
async function steadyState(baseUrl: string, pid: number) {
  await new Promise((r) => setTimeout(r, (OCR_IDLE_SECONDS + STEADY_AFTER_CLOSE_SECONDS) * 1000));
  const rssMb = statusMb(pid, 'VmRSS');
  const metrics = await scrapeMetrics(baseUrl);
  const mb = (name: string) => Math.round((metricValue(metrics, name) ?? 0) / 1024 / 1024);
  return {
    secondsAfterLastOcr: OCR_IDLE_SECONDS + STEADY_AFTER_CLOSE_SECONDS,
    rssMb,
    heapUsedMb: mb('medrec_nodejs_heap_size_used_bytes'),
    heapTotalMb: mb('medrec_nodejs_heap_size_total_bytes'),
    externalMb: mb('medrec_nodejs_external_memory_bytes'),
  };
}

/**
 * The ceiling of OCR throughput here: the same pages, rasterized beforehand (untimed), through an
 * OcrPool of the server's size and settings (OCR_WORKERS, best_int, PSM 6): recognition and nothing
 * else. Runs in this process after the server has stopped. `preprocess` 'none': the pages as
 * rasterized, not preprocessed (the speed and CER the preprocessing costs and gains).
 */
async function recognitionOnly(
  scans: Scan[],
  preprocess?: OcrPreprocessing,
): Promise<{ pages: number; pagesPerMin: number; recognizeMeanMs: number; rates: number[] }> {
  const images: Array<{ data: Buffer; dpi: number; scan: number }> = [];
  for (const [index, scan] of scans.entries()) {
    const { contentType } = await inspectDocument(join(SCANS, scan.file), DEFAULT_INGEST_LIMITS);
    for await (const raster of rasterizeDocument(join(SCANS, scan.file), contentType))
      if (raster.image) images.push({ data: raster.image.data, dpi: raster.image.dpi, scan: index });
  }
  let recognizeSeconds = 0;
  const pool = await OcrPool.start({
    workers: OCR_WORKERS,
    clinicalLexicon: LEXICON,
    onPageRecognised: (seconds) => (recognizeSeconds += seconds),
    ...(preprocess ? { preprocess } : {}),
  });
  try {
    const started = Date.now();
    const texts = await Promise.all(images.map((image) => pool.recognize(image.data, { dpi: image.dpi }).then((page) => page.text)));
    const pagesPerMin = round((images.length / ((Date.now() - started) / 1000)) * 60, 1);
    const rates = scans.map((scan, index) =>
      characterErrorRate(readFileSync(join(SCANS, scan.text), 'utf8'), texts.filter((_, i) => images[i].scan === index).join('\n')),
    );
    // A worker's seconds per page here, to compare with the server's 'recognize' stage (CPU shared with the rest of the pipeline there).
    return { pages: images.length, pagesPerMin, recognizeMeanMs: Math.round((recognizeSeconds / images.length) * 1000), rates };
  } finally {
    await pool.close();
  }
}

/** The same pages through OCRmyPDF (what Paperless-ngx uses), text read back with pdftotext. */
function ocrmypdf(scans: Scan[]) {
  if (spawnSync('ocrmypdf', ['--version']).status !== 0 || spawnSync('pdftotext', ['-v']).status !== 0) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'medrec-bench-ocrmypdf-'));
  try {
    const started = Date.now();
    const cpuBefore = cpuSeconds('self', true);
    const rates: number[] = [];
    for (const scan of scans) {
      const out = join(dir, `${scan.file}.pdf`);
      // Images need their resolution; the fixtures are 200 dpi scans.
      const imageArgs = scan.file.endsWith('.pdf') ? [] : ['--image-dpi', '200'];
      execFileSync('ocrmypdf', ['--jobs', String(OCR_WORKERS), '--force-ocr', '--output-type', 'pdf', '--quiet', ...imageArgs, join(SCANS, scan.file), out], {
        stdio: 'ignore',
      });
      execFileSync('pdftotext', ['-layout', out, `${out}.txt`]);
      rates.push(characterErrorRate(readFileSync(join(SCANS, scan.text), 'utf8'), readFileSync(`${out}.txt`, 'utf8')));
    }
    const seconds = (Date.now() - started) / 1000;
    const cpu = cpuSeconds('self', true) - cpuBefore;
    const pages = scans.reduce((n, s) => n + s.pages, 0);
    return { pages, seconds, pagesPerMin: round((pages / seconds) * 60, 1), pagesPerCpuMin: round((pages / cpu) * 60, 1), rates };
  } catch (error) {
    return { error: (error as Error).message.slice(0, 200) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const scans = JSON.parse(readFileSync(join(SCANS, 'manifest.json'), 'utf8')) as Scan[];
  const ours = await medrec(scans);
  // BENCH_RECOGNITION_ONLY=0 skips the ceiling.
  const ceiling = process.env.BENCH_RECOGNITION_ONLY === '0' ? undefined : await recognitionOnly(scans);
  const unprocessed = process.env.BENCH_RECOGNITION_ONLY === '0' ? undefined : await recognitionOnly(scans, 'none');
  // BENCH_OCRMYPDF=0 skips the comparison (quicker iterations).
  const theirs = process.env.BENCH_OCRMYPDF === '0' ? undefined : ocrmypdf(scans);
  const result: Record<string, unknown> = {
    bench: 'ingest',
    documents: scans.length,
    rounds: ROUNDS,
    ocrWorkers: OCR_WORKERS,
    ocrLexicon: LEXICON,
    pages: ours.pages,
    seconds: round(ours.seconds, 1),
    pagesPerMin: ours.pagesPerMin,
    meanCer: round(mean(ours.rates)),
    medianCer: round(median(ours.rates)),
    worstCer: round(Math.max(...ours.rates)),
    cer: cerBreakdown(scans, ours.rates),
    peakRssMb: ours.peakRssMb,
    ...(ours.peakMemoryMap ? { peakMemoryMap: ours.peakMemoryMap } : {}),
    // glibc's per-thread malloc arenas hold ~100 MB more with the OCR, PDF and libvips threads;
    // the server inherits this from the environment (MALLOC_ARENA_MAX=2 measured: see the README).
    mallocArenaMax: NPM_START.env.MALLOC_ARENA_MAX,
    mallocMmapThreshold: NPM_START.env.MALLOC_MMAP_THRESHOLD_,
    serverNodeArgs: NPM_START.nodeArgs.join(' '),
    // CPU the server spent (all its threads): steadier than wall time on a shared machine.
    serverCpuSeconds: round(ours.serverCpuSeconds, 1),
    pagesPerCpuMin: round((ours.pages / ours.serverCpuSeconds) * 60, 1),
    targets: { meanCer: 0.005, worstCer: 0.03, peakRssMb: 350, steadyRssMb: 250, ratioToRecognitionOnly: 0.9, speedupVsOcrmypdf: 4 },
    recognitionOnly: ceiling
      ? {
          pages: ceiling.pages,
          pagesPerMin: ceiling.pagesPerMin,
          meanCer: round(mean(ceiling.rates)),
          worstCer: round(Math.max(...ceiling.rates)),
          recognizeMeanMs: ceiling.recognizeMeanMs,
        }
      : 'skipped (BENCH_RECOGNITION_ONLY=0)',
    ...(ceiling ? { ratioToRecognitionOnly: round(ours.pagesPerMin / ceiling.pagesPerMin, 3) } : {}),
    // Where the time went (the server's own stage timings, from its /metrics) and what memory each stage saw.
    timing: ours.timing,
    // The server's memory with nothing left to do (the OCR pool closed when idle): see steadyState().
    steadyState: ours.steady,
    // The same pages through the same pool without the page preprocessing (tesseract.js as it reads
    // the rasterized page, with the pool's parameters): what the preprocessing costs and gains.
    ...(unprocessed
      ? {
          withoutPreprocessing: {
            pagesPerMin: unprocessed.pagesPerMin,
            meanCer: round(mean(unprocessed.rates)),
            worstCer: round(Math.max(...unprocessed.rates)),
            cer: cerBreakdown(scans, unprocessed.rates),
          },
          preprocessingSpeedRatio: round(ceiling!.pagesPerMin / unprocessed.pagesPerMin, 3),
        }
      : {}),
  };
  if (theirs && 'rates' in theirs && theirs.rates) {
    const theirMean = theirs.rates.reduce((a, b) => a + b, 0) / theirs.rates.length;
    Object.assign(result, {
      ocrmypdf: {
        pages: theirs.pages,
        pagesPerMin: theirs.pagesPerMin,
        pagesPerCpuMin: theirs.pagesPerCpuMin,
        meanCer: round(theirMean),
        medianCer: round(median(theirs.rates)),
      },
      speedupVsOcrmypdf: round(ours.pagesPerMin / theirs.pagesPerMin, 2),
      cpuEfficiencyVsOcrmypdf: round(((ours.pages / ours.serverCpuSeconds) * 60) / theirs.pagesPerCpuMin, 2),
      // Were everything but recognition free, this is the speedup the OCR engine itself allows.
      ...(ceiling ? { recognitionOnlySpeedupVsOcrmypdf: round(ceiling.pagesPerMin / theirs.pagesPerMin, 2) } : {}),
    });
  } else {
    result.ocrmypdf =
      process.env.BENCH_OCRMYPDF === '0' ? 'skipped (BENCH_OCRMYPDF=0)' : (theirs ?? 'not installed (apt-get install ocrmypdf poppler-utils to compare)');
  }
  writeFileSync(1, JSON.stringify(result) + '\n');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
