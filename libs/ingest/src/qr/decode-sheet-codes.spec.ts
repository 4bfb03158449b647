import { randomUUID } from 'node:crypto';
import { toBuffer as qrPng } from 'qrcode';
import sharp from 'sharp';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { type SheetCode } from '@medrec/domain';
import { type PrintedCoverSheet } from '../sheets/sheets-pdf';
import { LETTER, type ScannerStack, scannerStack, standardStackCoverSheets, standardStackPlan } from '../../../../test/support/scanner-stack';
import type { DocumentContentType } from '../inspect/document-content-type';
import { rasterizeDocument } from '../rasterize/rasterize-document';
import { decodeSheetCodes, type GrayPage } from './decode-sheet-codes';
import { ZXING_READER_WASM } from './zxing-reader';

/** Every page of a stack file as the ingestion pipeline rasterizes it, as raw grey pixels. */
async function rasterizedPages(file: Buffer, contentType: DocumentContentType): Promise<GrayPage[]> {
  const pages: GrayPage[] = [];
  for await (const page of rasterizeDocument(file, contentType, { encoding: 'pgm' })) {
    const { data, width, height } = page.image!;
    pages.push({ gray: data.subarray(data.length - width * height), width, height });
  }
  return pages;
}

/** The Compression tag (259) of a little-endian TIFF's first page: 4 is CCITT Group 4. */
function firstTiffCompression(tiff: Buffer): number | undefined {
  const ifd = tiff.readUInt32LE(4);
  for (let i = 0; i < tiff.readUInt16LE(ifd); i++) {
    const entry = ifd + 2 + i * 12;
    if (tiff.readUInt16LE(entry) === 259) return tiff.readUInt16LE(entry + 8);
  }
  return undefined;
}

async function decodeAll(pages: GrayPage[]): Promise<{ codes: SheetCode[][]; msPerPage: number }> {
  const codes: SheetCode[][] = [];
  const started = performance.now();
  for (const page of pages) codes.push(await decodeSheetCodes(page));
  return { codes, msPerPage: (performance.now() - started) / pages.length };
}

describe('decodeSheetCodes', () => {
  let sheets: PrintedCoverSheet[];
  let stack: ScannerStack;
  let damaged: ScannerStack;

  beforeAll(async () => {
    sheets = standardStackCoverSheets().map((details) => ({ id: randomUUID(), ...details }));
    stack = await scannerStack(standardStackPlan(sheets));
    damaged = await scannerStack(standardStackPlan(sheets, { damaged: true }).slice(6, 10));
  }, 60_000);

  it('loads its WebAssembly from the installed package, not from the network', () => {
    expect(ZXING_READER_WASM).toContain('node_modules/zxing-wasm/');
    expect(readFileSync(ZXING_READER_WASM).subarray(0, 4)).toEqual(Buffer.from([0, 0x61, 0x73, 0x6d]));
  });

  it.each([
    ['PDF', 'pdf', 'application/pdf'],
    ['multi-page TIFF', 'tiff', 'image/tiff'],
  ] as const)('finds exactly the cover sheets and the separator of a scanner-made stack (%s)', async (_format, key, contentType) => {
    const pages = await rasterizedPages(await stack[key](), contentType);
    expect(pages).toHaveLength(stack.pages.length);
    expect(pages.every((p) => p.width === LETTER.width && p.height === LETTER.height)).toBe(true);
    const { codes, msPerPage } = await decodeAll(pages);
    expect(codes).toEqual(stack.expectedCodes);
    expect(codes.flat().filter((c) => c.kind === 'cover-sheet')).toEqual(sheets.flatMap((s) => [0, 1].map(() => ({ kind: 'cover-sheet', id: s.id }))));
    // The budget is 30 ms a page on a quiet machine; this only catches a decode gone badly slow.
    process.stdout.write(`QR decode (${key}): ${msPerPage.toFixed(1)} ms per page over ${pages.length} pages\n`);
    expect(msPerPage).toBeLessThan(250);
  });

  it('finds them in a black-and-white stack too (a CCITT Group 4 TIFF)', async () => {
    const bilevel = await scannerStack(standardStackPlan(sheets).slice(5, 11), { bilevel: true, seed: 3 });
    const tiff = await bilevel.tiff();
    expect(await sharp(tiff).metadata()).toMatchObject({ pages: 6, density: 200 });
    expect(firstTiffCompression(tiff)).toBe(4);
    const pages = await rasterizedPages(tiff, 'image/tiff');
    expect(pages.every((p) => p.gray.every((v) => v === 0 || v === 255))).toBe(true);
    expect((await decodeAll(pages)).codes).toEqual(bilevel.expectedCodes);
  });

  it('gives no cover sheet id for a sheet whose two codes are stained, only unreadable codes', async () => {
    const pages = await rasterizedPages(await damaged.pdf(), 'application/pdf');
    const { codes } = await decodeAll(pages);
    expect(pages).toHaveLength(4);
    const at = damaged.pages.findIndex((p) => p.kind === 'cover-sheet' && p.damaged);
    expect(codes[at]).toEqual([{ kind: 'unknown' }, { kind: 'unknown' }]);
    expect(codes.flat()).not.toContainEqual({ kind: 'cover-sheet', id: sheets[1].id });
    expect(codes).toEqual(damaged.expectedCodes);
  });

  it('reads the twin of a code painted over, and nothing of a sheet whose two codes are painted over', async () => {
    const [one, both] = standardStackCoverSheets().map((details) => ({ id: randomUUID(), ...details }));
    const painted = await scannerStack([
      { kind: 'cover-sheet', sheet: one, obliterated: 'one' },
      { kind: 'cover-sheet', sheet: both, obliterated: 'both' },
    ]);
    const { codes } = await decodeAll(painted.images);
    expect(codes).toEqual([[{ kind: 'cover-sheet', id: one.id }], []]);
  });

  /** A page with these QR codes printed on it (PNGs of 8 pixels a module), at 200 dpi letter. */
  async function pageWith(...texts: string[]): Promise<GrayPage> {
    const codes = await Promise.all(texts.map((text) => qrPng(text, { errorCorrectionLevel: 'M', scale: 8, margin: 4 })));
    const { data } = await sharp({ create: { ...LETTER, channels: 3, background: '#ffffff' } })
      .composite(codes.map((input, i) => ({ input, left: 100 + (i % 2) * 800, top: 100 + Math.floor(i / 2) * 800 })))
      .toColourspace('b-w')
      .extractChannel(0)
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { gray: new Uint8Array(data), ...LETTER };
  }

  it('reads every code of a page, and only well-formed ones of ours as sheets', async () => {
    const id = randomUUID();
    const codes = await decodeSheetCodes(await pageWith(`MEDREC-CS:${id}`, 'MEDREC-SEP', `MEDREC-CS:${id.slice(0, 30)}`, 'https://example.org/leaflet'));
    expect(codes).toHaveLength(4);
    expect(codes).toEqual(
      expect.arrayContaining([
        { kind: 'cover-sheet', id },
        { kind: 'separator' },
        { kind: 'unknown' },
        { kind: 'unknown', text: 'https://example.org/leaflet' },
      ]),
    );
  });

  it('finds nothing on a blank page or in noise', async () => {
    const white = new Uint8Array(LETTER.width * LETTER.height).fill(255);
    expect(await decodeSheetCodes({ gray: white, ...LETTER })).toEqual([]);
    const noise = Uint8Array.from({ length: 800 * 600 }, (_, i) => ((i * 2654435761) >>> 24) & 0xff);
    expect(await decodeSheetCodes({ gray: noise, width: 800, height: 600 })).toEqual([]);
  });

  it('refuses pixels that do not match the page size', async () => {
    await expect(decodeSheetCodes({ gray: new Uint8Array(10), width: 4, height: 4 })).rejects.toThrow(/grayscale bytes/);
  });
});
