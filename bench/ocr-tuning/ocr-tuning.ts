/**
 * OCR tuning measurements over the fixture scans (scratch, not part of the product).
 * Decodes every page at its native resolution with sharp (PDF pages: their embedded CCITT images,
 * extracted with poppler's `pdfimages` when installed), encodes them (FORMAT=auto|pgm|pbm|png;
 * auto = PBM for bilevel sources, PGM otherwise), then OCRs them all through an OcrPool and prints
 * per-document CER, mean/median/max CER, pages/min of recognition and peak RSS as one JSON line.
 *
 *   npx tsc --outDir /tmp/ocr-tuning --module commonjs --target ES2022 --esModuleInterop --skipLibCheck bench/ocr-tuning/ocr-tuning.ts
 *   node /tmp/ocr-tuning/bench/ocr-tuning/ocr-tuning.js
 *
 * Env: WORKERS (2), ROUNDS (1), FORMAT (auto), PSM (6), RECYCLE (0 = never), SCANS (test/fixtures/scans), LANG_PATH.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { PSM } from 'tesseract.js';
import { encodePbm, encodePgm } from '../../libs/ingest/src/ocr/netpbm';
import { OcrPool } from '../../libs/ingest/src/ocr/ocr-pool';
import { characterErrorRate } from '../../libs/ingest/src/quality/cer';

interface ManifestEntry {
  file: string;
  text: string;
  pages: number;
  degradation: number;
}
interface Page {
  doc: string;
  image: Buffer;
  dpi: number;
}

const SCANS = process.env.SCANS ?? resolve(process.cwd(), 'test/fixtures/scans');
const WORKERS = Number(process.env.WORKERS ?? 2);
const ROUNDS = Number(process.env.ROUNDS ?? 1);
const FORMAT = process.env.FORMAT ?? 'auto';
const PSM_MODE = (process.env.PSM ?? PSM.SINGLE_BLOCK) as PSM;
const RECYCLE = Number(process.env.RECYCLE ?? 0);
/** Another folder of eng.traineddata.gz, e.g. node_modules/@tesseract.js-data/eng/4.0.0 (default: the bundled best_int). */
const LANG_PATH = process.env.LANG_PATH;

function hasPdfImages(): boolean {
  try {
    execFileSync('pdfimages', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function encode(source: sharp.Sharp, bilevel: boolean): Promise<Buffer> {
  if (FORMAT === 'png') return source.greyscale().png({ compressionLevel: 1 }).toBuffer();
  const { data, info } = await source.greyscale().raw().toBuffer({ resolveWithObject: true });
  const pixels = { data, width: info.width, height: info.height };
  if (FORMAT === 'pbm' || (FORMAT === 'auto' && bilevel)) return encodePbm(pixels);
  return encodePgm(pixels);
}

async function loadPages(entries: ManifestEntry[], pdfDir: string | undefined): Promise<Page[]> {
  const pages: Page[] = [];
  for (const entry of entries) {
    const path = join(SCANS, entry.file);
    if (entry.file.endsWith('.pdf')) {
      if (!pdfDir) continue;
      const prefix = entry.file.replace(/\.pdf$/, '');
      execFileSync('pdfimages', ['-tiff', path, join(pdfDir, prefix)]);
      const dpi = 200; // `pdfimages -list` on the fixtures: every image is placed at 200 dpi.
      for (const file of readdirSync(pdfDir)
        .filter((f) => f.startsWith(`${prefix}-`))
        .sort()) {
        pages.push({ doc: entry.file, image: await encode(sharp(join(pdfDir, file)), true), dpi });
      }
      continue;
    }
    for (let page = 0; page < entry.pages; page++) {
      const metadata = await sharp(path, { page }).metadata();
      const bilevel = metadata.bitsPerSample === 1;
      pages.push({ doc: entry.file, image: await encode(sharp(path, { page }), bilevel), dpi: metadata.density ?? 200 });
    }
  }
  return pages;
}

function peakRssMb(): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return match ? Math.round(Number(match[1]) / 1024) : NaN;
}

async function main(): Promise<void> {
  const entries = JSON.parse(readFileSync(join(SCANS, 'manifest.json'), 'utf8')) as ManifestEntry[];
  const pdfDir = hasPdfImages() ? mkdtempSync(join(tmpdir(), 'ocr-tuning-')) : undefined;
  const pages = await loadPages(entries, pdfDir);
  if (pdfDir) rmSync(pdfDir, { recursive: true, force: true });
  const inputMb = pages.reduce((sum, page) => sum + page.image.length, 0) / 1e6;

  const startedAt = Date.now();
  const pool = await OcrPool.start({ workers: WORKERS, psm: PSM_MODE, recycleAfterJobs: RECYCLE, ...(LANG_PATH ? { langPath: LANG_PATH } : {}) });
  const startMs = Date.now() - startedAt;
  const idleRss = Math.round(process.memoryUsage().rss / 2 ** 20);

  let sampledPeak = 0;
  const sampler = setInterval(() => {
    sampledPeak = Math.max(sampledPeak, process.memoryUsage().rss);
  }, 20);
  const texts = new Map<string, string[]>();
  const cpuBefore = process.cpuUsage();
  const began = Date.now();
  for (let round = 0; round < ROUNDS; round++) {
    const results = new Array<string>(pages.length);
    // Keep two pages per worker in flight, as a production caller should.
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < pages.length) {
        const index = next++;
        results[index] = (await pool.recognize(pages[index].image, { dpi: pages[index].dpi })).text;
      }
    };
    await Promise.all(Array.from({ length: WORKERS * 2 }, lane));
    if (round === 0) pages.forEach((page, i) => texts.set(page.doc, [...(texts.get(page.doc) ?? []), results[i]]));
  }
  const seconds = (Date.now() - began) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  clearInterval(sampler);
  await pool.close();

  const perDoc = entries
    .filter((entry) => texts.has(entry.file))
    .map((entry) => ({
      file: entry.file,
      degradation: entry.degradation,
      cer: characterErrorRate(readFileSync(join(SCANS, entry.text), 'utf8'), (texts.get(entry.file) ?? []).join('\n')),
    }));
  for (const doc of perDoc) console.error(`${doc.file.padEnd(42)} deg ${doc.degradation}  CER ${(doc.cer * 100).toFixed(2)}%`);
  const cers = perDoc.map((doc) => doc.cer).sort((a, b) => a - b);
  const mid = cers.length >> 1;
  const pct = (x: number): number => Math.round(x * 100_000) / 1000;
  const recognized = pages.length * ROUNDS;
  console.log(
    JSON.stringify({
      workers: WORKERS,
      psm: PSM_MODE,
      format: FORMAT,
      rounds: ROUNDS,
      documents: perDoc.length,
      pages: recognized,
      meanCerPct: pct(cers.reduce((a, b) => a + b, 0) / cers.length),
      medianCerPct: pct(cers.length % 2 ? cers[mid] : (cers[mid - 1] + cers[mid]) / 2),
      maxCerPct: pct(cers[cers.length - 1]),
      pagesPerMin: Math.round((recognized / seconds) * 60 * 10) / 10,
      pagesPerCpuMinPerWorker: Math.round((recognized / ((cpu.user + cpu.system) / 1e6 / WORKERS)) * 60 * 10) / 10,
      poolStartMs: startMs,
      inputMb: Math.round(inputMb * 10) / 10,
      idleRssMb: idleRss,
      peakRssMb: Math.max(Math.round(sampledPeak / 2 ** 20), 0),
      vmHwmMb: peakRssMb(),
    }),
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
