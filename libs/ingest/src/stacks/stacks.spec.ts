import { randomUUID } from 'node:crypto';
import { degrees, PDFDocument, PDFName, PDFRawStream } from 'pdf-lib';
import { planStackSplit } from '@medrec/domain';
import { type ScannerStack, scannerStack, standardStackCoverSheets, standardStackPlan } from '../../../../test/support/scanner-stack';
import { sharp } from '../rasterize/sharp-settings';
import { type PrintedCoverSheet } from '../sheets/sheets-pdf';
import { extractPages, openStackPages } from './extract-pages';
import { type ScannedPage, scanStackPages } from './scan-stack-pages';

async function scanAll(file: Buffer, contentType: 'application/pdf' | 'image/tiff'): Promise<ScannedPage[]> {
  const pages: ScannedPage[] = [];
  for await (const page of scanStackPages(file, contentType)) pages.push(page);
  return pages;
}

/** The image streams of a PDF's pages, as stored (still encoded). */
async function pageImageStreams(pdf: Buffer): Promise<Buffer[]> {
  const doc = await PDFDocument.load(pdf);
  return doc.getPages().flatMap((page) => {
    const xObjects = page.node.Resources()?.lookup(PDFName.of('XObject'));
    if (!xObjects || !('entries' in xObjects)) return [];
    return (xObjects as unknown as { entries(): Array<[PDFName, unknown]> })
      .entries()
      .map(([, ref]) => doc.context.lookup(ref as never))
      .filter((o): o is PDFRawStream => o instanceof PDFRawStream)
      .map((s) => Buffer.from(s.contents));
  });
}

describe('stack pages: scanned for codes and blanks, and copied out as they were scanned', () => {
  let sheets: PrintedCoverSheet[];
  let stack: ScannerStack;

  beforeAll(async () => {
    sheets = standardStackCoverSheets().map((details) => ({ id: randomUUID(), ...details }));
    stack = await scannerStack(standardStackPlan(sheets));
  }, 60_000);

  it.each(['application/pdf', 'image/tiff'] as const)(
    'finds every sheet and the blank page of the standard stack (%s), and plans the issue split',
    async (contentType) => {
      const pages = await scanAll(contentType === 'application/pdf' ? await stack.pdf() : await stack.tiff(), contentType);
      expect(pages.map((p) => p.codes)).toEqual(stack.expectedCodes);
      expect(pages.map((p) => p.sheetMarker)).toEqual(stack.expectedMarkers);
      expect(pages.filter((p) => p.blank).map((p) => p.page)).toEqual([6]);
      const plan = planStackSplit(pages, () => 'issued');
      expect(plan.documents.map((d) => [d.coverSheetId, d.part, d.pages])).toEqual([
        [sheets[0].id, 1, [4, 5]],
        [sheets[0].id, 2, [8]],
        [sheets[1].id, 1, [10]],
        [sheets[2].id, 1, [12]],
        [sheets[3].id, 1, [14]],
      ]);
    },
    60_000,
  );

  it.each([
    ['damaged', { damaged: true }],
    ['obliterated', { obliterated: 'both' as const }],
    ['half obliterated', { obliterated: 'one' as const }],
  ])(
    "reads a skewed, specked scanner PDF's JPEGs at a third of their size as the full-size TIFF of the same pages is read (%s sheet)",
    async (_name, damage) => {
      const hurt = await scannerStack(standardStackPlan(sheets, damage), { skewDegrees: 2, noise: 0.02, seed: 7 });
      const fromJpegs = await scanAll(await hurt.pdf(), 'application/pdf');
      const fromTiff = await scanAll(await hurt.tiff(), 'image/tiff');
      expect(fromJpegs.map((p) => p.codes)).toEqual(hurt.expectedCodes);
      // The blank test is not compared: 2% specks are dust that a reduced scale averages away (a blank page is then seen blank).
      expect(fromJpegs.map((p) => [p.codes, p.sheetMarker])).toEqual(fromTiff.map((p) => [p.codes, p.sheetMarker]));
    },
    90_000,
  );

  it("reads a scanner's PDF from its JPEGs at a third of their resolution, and any other PDF as pdf.js renders it (a page drawing text, a page turned upside down)", async () => {
    expect((await scanAll(await stack.pdf(), 'application/pdf')).map((p) => Math.round(p.dpi))).toEqual(Array(14).fill(67));
    const other = await PDFDocument.load(await stack.pdf());
    other.getPage(0).drawText('note', { x: 10, y: 10 });
    other.getPage(2).setRotation(degrees(180));
    const pages = await scanAll(Buffer.from(await other.save()), 'application/pdf');
    expect(pages.map((p) => Math.round(p.dpi))).toEqual(Array(14).fill(200));
    expect(pages.map((p) => p.codes)).toEqual(stack.expectedCodes);
    expect(pages.map((p) => p.sheetMarker)).toEqual(stack.expectedMarkers);
    expect(pages.filter((p) => p.blank).map((p) => p.page)).toEqual([6]);
  });

  it("copies a PDF's pages with their image streams byte for byte", async () => {
    const extracted = await extractPages(await stack.pdf(), 'application/pdf', [4, 5]);
    expect(extracted.contentType).toBe('application/pdf');
    const all = await pageImageStreams(await stack.pdf());
    expect(await pageImageStreams(extracted.bytes)).toEqual([all[3], all[4]]);
  });

  it('extracts document after document from one parse of the PDF, each as a fresh extraction makes it', async () => {
    const source = openStackPages(await stack.pdf(), 'application/pdf');
    for (const pages of [[4, 5], [8], [10], [4, 5]]) {
      const once = await source.extract(pages);
      const fresh = await extractPages(await stack.pdf(), 'application/pdf', pages);
      expect(once.bytes.equals(fresh.bytes)).toBe(true);
    }
  });

  it("copies a TIFF's pages pixel for pixel at their resolution", async () => {
    const extracted = await extractPages(await stack.tiff(), 'image/tiff', [4, 14]);
    expect(extracted.contentType).toBe('image/tiff');
    const meta = await sharp(extracted.bytes).metadata();
    expect({ pages: meta.pages, density: Math.round(meta.density ?? 0) }).toEqual({ pages: 2, density: 200 });
    for (const [i, page] of [4, 14].entries()) {
      const got = await sharp(extracted.bytes, { page: i }).raw().toBuffer();
      const want = await sharp(await stack.tiff(), { page: page - 1 })
        .raw()
        .toBuffer();
      expect(got.equals(want)).toBe(true);
    }
  });
});
