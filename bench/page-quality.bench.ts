/**
 * bench:page-quality — what the review queue's page measures cost (libs/ingest/src/quality/page-quality.ts),
 * against rasterizing and OCR'ing the same pages in the same run: every page of the shared scans,
 * rasterized with and without the measures (wall time), the synchronous part alone (what the
 * calling thread spends; the shrink runs in libvips's threads), and one OCR worker on the same
 * pages. One JSON line.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import type { DocumentContentType } from '../libs/ingest/src/inspect/document-content-type';
import { OcrPool } from '../libs/ingest/src/ocr/ocr-pool';
import { measureSample, pageSample } from '../libs/ingest/src/quality/page-quality';
import { rasterizeDocument } from '../libs/ingest/src/rasterize/rasterize-document';

const ROOT = resolve(__dirname, __dirname.includes('/dist/') ? '../..' : '..');
const SCANS = join(ROOT, 'test/fixtures/scans');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONTENT_TYPES: Record<string, DocumentContentType> = { pdf: 'application/pdf', tif: 'image/tiff', png: 'image/png', jpg: 'image/jpeg' };

const ms = (since: bigint): number => Number(process.hrtime.bigint() - since) / 1e6;
const round = (n: number): number => Math.round(n * 100) / 100;

async function rasterizeAll(files: string[], measureQuality: boolean): Promise<{ ms: number; pages: number }> {
  const started = process.hrtime.bigint();
  let pages = 0;
  for (const file of files) {
    for await (const _ of rasterizeDocument(join(SCANS, file), CONTENT_TYPES[file.split('.').pop()!], { measureQuality })) pages++;
  }
  return { ms: ms(started), pages };
}

async function main(): Promise<void> {
  const files = (JSON.parse(readFileSync(join(SCANS, 'manifest.json'), 'utf8')) as Array<{ file: string }>).map((s) => s.file);
  const grays: Array<{ data: Buffer; width: number; height: number; png: Buffer }> = [];
  for (const file of files) {
    for await (const raster of rasterizeDocument(join(SCANS, file), CONTENT_TYPES[file.split('.').pop()!], { encoding: 'png' })) {
      const { data, info } = await sharp(raster.image!.data).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
      grays.push({ data, width: info.width, height: info.height, png: raster.image!.data });
    }
  }
  let without = 0;
  let withMeasures = 0;
  let shrink = 0;
  let sync = 0;
  for (let round = 0; round < ROUNDS; round++) {
    without += (await rasterizeAll(files, false)).ms;
    withMeasures += (await rasterizeAll(files, true)).ms;
    for (const g of grays) {
      let started = process.hrtime.bigint();
      const sample = await pageSample(g.data, g.width, g.height, 200);
      shrink += ms(started);
      started = process.hrtime.bigint();
      measureSample(sample);
      sync += ms(started);
    }
  }
  const pages = grays.length;
  const perPage = (total: number): number => round(total / ROUNDS / pages);
  const pool = await OcrPool.start({ workers: 1 });
  const ocrStarted = process.hrtime.bigint();
  for (const g of grays) await pool.recognize(g.png, { dpi: 200 });
  const ocrPerPage = ms(ocrStarted) / pages;
  await pool.close();
  console.log(
    JSON.stringify({
      bench: 'page-quality',
      pages,
      rounds: ROUNDS,
      rasterizeMsPerPage: perPage(without),
      rasterizeWithMeasuresMsPerPage: perPage(withMeasures),
      measuresShrinkMsPerPage: perPage(shrink),
      measuresSyncMsPerPage: perPage(sync),
      ocrMsPerPage: round(ocrPerPage),
      syncShareOfOcr: round((sync / ROUNDS / pages / ocrPerPage) * 100) / 100,
    }),
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
