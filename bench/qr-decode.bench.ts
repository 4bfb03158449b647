/**
 * bench:qr — finding the cover and separator sheets of a stack: decodeSheetCodes on every page of
 * the scanner-made stack (test/support/scanner-stack: 14 US Letter pages at 200 dpi, four cover
 * sheets, a separator, a blank page), as the pipeline rasterizes its multi-page TIFF, against the
 * full-page decode alone in the same run (its ratio), with the misses of each; then misses on
 * cover sheets skewed -2 to 3 degrees, and with 0-3% of their pixels specks. Then the sheet marker
 * (hasSheetMarker): its cost a page over the same stack, its misses on the same skewed and specked
 * sheets, and its false positives on every page of the shared fixture scans; and the decode of
 * cover sheets with both codes against the same with one painted over. Prints one JSON line.
 *
 *   npm run bench:qr                 (BENCH_ROUNDS=5 by default)
 */
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { isDeepStrictEqual } from 'node:util';
import type { SheetCode } from '@medrec/domain';
import { decodeFullPage, decodeSheetCodes, type GrayPage } from '@medrec/ingest/qr/decode-sheet-codes';
import { rasterizeDocument } from '@medrec/ingest/rasterize/rasterize-document';
import { hasSheetMarker } from '@medrec/ingest/sheets/sheet-marker';
import { fixtureScanPages, scannerStack, type StackOptions, type StackPage, standardStackCoverSheets, standardStackPlan } from '../test/support/scanner-stack';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

type Decode = (page: GrayPage) => Promise<SheetCode[]>;

async function tiffPages(tiff: Buffer): Promise<GrayPage[]> {
  const pages: GrayPage[] = [];
  for await (const page of rasterizeDocument(tiff, 'image/tiff', { encoding: 'pgm' })) {
    const { data, width, height } = page.image!;
    pages.push({ gray: data.subarray(data.length - width * height), width, height });
  }
  return pages;
}

async function measure(decode: Decode, pages: GrayPage[], expected: SheetCode[][]): Promise<{ msPerPage: number; p95: number; max: number; misses: number }> {
  const times: number[] = [];
  let misses = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, page] of pages.entries()) {
      const started = performance.now();
      const codes = await decode(page);
      times.push(performance.now() - started);
      if (round === 0 && !isDeepStrictEqual(codes, expected[i])) misses++;
    }
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))];
  return { msPerPage: round1(times.reduce((a, b) => a + b, 0) / times.length), p95: round1(at(0.95)), max: round1(at(1)), misses };
}

/** Misses among four cover sheets printed with each skew (at the default noise) and each noise (at 1 degree). */
async function sheetMisses(decode: Decode): Promise<Record<string, number>> {
  return missesOnPrintings(async (image, expected) => isDeepStrictEqual(await decode(image), expected));
}

async function missesOnPrintings(found: (image: GrayPage, expected: SheetCode[]) => Promise<boolean> | boolean): Promise<Record<string, number>> {
  const sheets = standardStackCoverSheets().map((details) => ({ id: randomUUID(), ...details }));
  const plan: StackPage[] = sheets.map((sheet) => ({ kind: 'cover-sheet', sheet }));
  const printings: Array<[string, StackOptions]> = [
    ...[0, 1, 2, 3, -2].map((skewDegrees): [string, StackOptions] => [`skew ${skewDegrees}deg`, { skewDegrees, seed: 7 + skewDegrees }]),
    ...[0, 0.01, 0.03].map((noise): [string, StackOptions] => [`noise ${noise * 100}%`, { noise, seed: 11 }]),
  ];
  const misses: Record<string, number> = {};
  for (const [name, options] of printings) {
    const stack = await scannerStack(plan, options);
    let missed = 0;
    for (const [i, image] of stack.images.entries()) if (!(await found(image, stack.expectedCodes[i]))) missed++;
    misses[name] = missed;
  }
  return misses;
}

const round1 = (n: number) => Math.round(n * 10) / 10;
const round2 = (n: number) => Math.round(n * 100) / 100;

/** hasSheetMarker's time a page over `pages` (ROUNDS times), and the pages where it is not `expected`. */
function measureMarker(pages: GrayPage[], expected: boolean[]): { msPerPage: number; max: number; wrong: number } {
  let total = 0;
  let max = 0;
  let wrong = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, page] of pages.entries()) {
      const started = performance.now();
      const marked = hasSheetMarker(page);
      const ms = performance.now() - started;
      total += ms;
      max = Math.max(max, ms);
      if (round === 0 && marked !== expected[i]) wrong++;
    }
  }
  return { msPerPage: round2(total / (ROUNDS * pages.length)), max: round2(max), wrong };
}

async function main(): Promise<void> {
  const sheets = standardStackCoverSheets().map((details) => ({ id: randomUUID(), ...details }));
  const stack = await scannerStack(standardStackPlan(sheets));
  const pages = await tiffPages(await stack.tiff());
  await decodeSheetCodes(pages[0]); // loads and compiles the WebAssembly once
  const shipped = await measure(decodeSheetCodes, pages, stack.expectedCodes);
  const fullPage = await measure(decodeFullPage, pages, stack.expectedCodes);
  // What printing the code twice costs: cover sheets with both codes against the same with one painted over.
  const twin = await scannerStack(standardStackPlan(sheets).filter((p) => p.kind === 'cover-sheet'));
  const single = await scannerStack(twin.pages.map((p) => ({ ...p, obliterated: 'one' as const })));
  const twinCodes = await measure(decodeSheetCodes, twin.images, twin.expectedCodes);
  const oneCode = await measure(decodeSheetCodes, single.images, single.expectedCodes);
  const markerOnStack = measureMarker(pages, stack.expectedMarkers);
  const fixtures = await scannerStack(fixtureScanPages());
  const markerOnFixtures = measureMarker(
    fixtures.images,
    fixtures.images.map(() => false),
  );
  console.log(
    JSON.stringify({
      bench: 'qr-decode',
      pages: pages.length,
      size: `${pages[0].width}x${pages[0].height} (200 dpi letter)`,
      rounds: ROUNDS,
      decodeSheetCodes: shipped,
      fullPageOnly: fullPage,
      ratio: round1(shipped.msPerPage / fullPage.msPerPage),
      targetMsPerPage: 30,
      coverSheetTwinCodes: { twin: twinCodes, onePaintedOver: oneCode, ratio: round1(twinCodes.msPerPage / oneCode.msPerPage) },
      coverSheetMissesOf4: { decodeSheetCodes: await sheetMisses(decodeSheetCodes), fullPageOnly: await sheetMisses(decodeFullPage) },
      sheetMarker: {
        stack: { msPerPage: markerOnStack.msPerPage, max: markerOnStack.max, wrongOf: `${markerOnStack.wrong}/${pages.length}` },
        fixtureScans: {
          msPerPage: markerOnFixtures.msPerPage,
          max: markerOnFixtures.max,
          falsePositivesOf: `${markerOnFixtures.wrong}/${fixtures.images.length}`,
        },
        coverSheetMissesOf4: await missesOnPrintings((image) => hasSheetMarker(image)),
        ratioToDecode: round2(markerOnStack.msPerPage / shipped.msPerPage),
      },
      loadAverage: loadavg().map(round1),
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
