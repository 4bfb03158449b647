import { join } from 'node:path';
import sharp from 'sharp';
import type { DocumentContentType } from '../inspect/document-content-type';
import { PdfWorkerFailure } from './pdf-worker';
import { PageRaster, rasterizeDocument, RasterizeOptions } from './rasterize-document';
import { rasterizePage } from './rasterize-page';
import { minimalPdf } from './testing/minimal-pdf';

const FIXTURES = join(__dirname, '..', '..', '..', '..', 'test', 'fixtures');
const SCANS = join(FIXTURES, 'scans');
const BAD_INPUTS = join(FIXTURES, 'bad-inputs');

async function allPages(source: string | Buffer, contentType: DocumentContentType, options?: RasterizeOptions): Promise<PageRaster[]> {
  const pages: PageRaster[] = [];
  for await (const page of rasterizeDocument(source, contentType, options)) pages.push(page);
  return pages;
}

/** The 8-bit gray pixels of an encoded grayscale image. */
async function pixelsOf(image: Buffer): Promise<Buffer> {
  return sharp(image).extractChannel(0).raw().toBuffer();
}

describe('rasterizePage', () => {
  it.each([
    ['mrn-00482913-radiology-report.png', 'image/png', 1],
    ['mrn-00482913-progress-note.jpg', 'image/jpeg', 1],
    ['mrn-00482913-discharge-summary.tif', 'image/tiff', 2],
    ['mrn-00600218-lab-report.pdf', 'application/pdf', 2],
  ] as const)('%s: every page is the very image OCR is given (same size, resolution and pixels), as a grayscale PNG', async (file, contentType, pages) => {
    const source = join(SCANS, file);
    const ocr = await allPages(source, contentType, { encoding: 'png' });
    expect(ocr).toHaveLength(pages);
    for (const { page, image } of ocr) {
      const rendered = await rasterizePage(source, contentType, page);
      expect(rendered).toMatchObject({ page, width: image!.width, height: image!.height, dpi: image!.dpi });
      const meta = await sharp(rendered!.png).metadata();
      expect(meta).toMatchObject({ format: 'png', width: image!.width, height: image!.height, channels: 1, density: image!.dpi });
      expect((await pixelsOf(rendered!.png)).equals(await pixelsOf(image!.data))).toBe(true);
    }
  });

  it('gives page 2 of a two-page TIFF or PDF, not page 1 again', async () => {
    for (const [file, contentType] of [
      ['mrn-00482913-discharge-summary.tif', 'image/tiff'],
      ['mrn-00600218-lab-report.pdf', 'application/pdf'],
    ] as const) {
      const [one, two] = await Promise.all([rasterizePage(join(SCANS, file), contentType, 1), rasterizePage(join(SCANS, file), contentType, 2)]);
      expect({ file, page: two!.page }).toEqual({ file, page: 2 });
      expect({ file, same: (await pixelsOf(one!.png)).equals(await pixelsOf(two!.png)) }).toEqual({ file, same: false });
    }
  });

  it('renders a page that has a text layer, which OCR takes as text: at vectorDpi, the text in ink', async () => {
    const letter = join(BAD_INPUTS, 'born-digital-letter.pdf');
    // The OCR path is unchanged: the page's text, no image.
    const [ocr] = await allPages(letter, 'application/pdf');
    expect(ocr.textLayer).toContain('REFERRAL LETTER');
    expect(ocr.image).toBeUndefined();

    const rendered = await rasterizePage(letter, 'application/pdf', 1);
    // US letter (612 x 792 pt) at the default 300 dpi.
    expect(rendered).toMatchObject({ page: 1, width: 2550, height: 3300, dpi: 300 });
    expect(await sharp(rendered!.png).metadata()).toMatchObject({ format: 'png', channels: 1, density: 300 });
    expect((await pixelsOf(rendered!.png)).some((v) => v < 64)).toBe(true);
    expect(await rasterizePage(letter, 'application/pdf', 1, { vectorDpi: 150 })).toMatchObject({ width: 1275, height: 1650, dpi: 150 });
  });

  it('renders a scanned PDF page with its own long text layer at the scan’s resolution', async () => {
    const gray = Buffer.alloc(1275 * 1650, 255);
    const lines = Array.from({ length: 12 }, (_, i) => `Line ${i + 1} of the scanner's own recognised text for this page.`);
    const pdf = minimalPdf([{ widthPt: 612, heightPt: 792, image: { width: 1275, height: 1650, gray }, lines }]);
    const [ocr] = await allPages(pdf, 'application/pdf');
    expect(ocr.textLayer).toContain('Line 12');
    expect(await rasterizePage(pdf, 'application/pdf', 1)).toMatchObject({ width: 1275, height: 1650, dpi: 150 });
  });

  it('renders the page asked for only: an earlier page too large to render is never planned', async () => {
    const pdf = minimalPdf([
      { widthPt: 1224, heightPt: 1584, rectangle: true },
      { widthPt: 612, heightPt: 792, rectangle: true },
    ]);
    const limits = { maxPixelsPerPage: 10_000_000 };
    await expect(allPages(pdf, 'application/pdf', limits)).rejects.toMatchObject({ reason: 'too-many-pixels' });
    expect(await rasterizePage(pdf, 'application/pdf', 2, limits)).toMatchObject({ page: 2, width: 2550, height: 3300 });
    await expect(rasterizePage(pdf, 'application/pdf', 1, limits)).rejects.toMatchObject({ reason: 'too-many-pixels' });
  });

  it('answers undefined for a page the document does not have', async () => {
    for (const [file, contentType, pages] of [
      ['mrn-00482913-discharge-summary.tif', 'image/tiff', 2],
      ['mrn-00482913-radiology-report.png', 'image/png', 1],
      ['mrn-00600218-lab-report.pdf', 'application/pdf', 2],
    ] as const) {
      for (const page of [0, -1, 1.5, pages + 1]) {
        expect({ file, page, rendered: await rasterizePage(join(SCANS, file), contentType, page) }).toEqual({ file, page, rendered: undefined });
      }
    }
  });

  it('keeps the limits: pixels, time, and a caller that gave up', async () => {
    const pdf = join(SCANS, 'mrn-00600218-lab-report.pdf');
    await expect(rasterizePage(join(SCANS, 'mrn-00482913-progress-note.jpg'), 'image/jpeg', 1, { maxPixelsPerPage: 1_000_000 })).rejects.toMatchObject({
      reason: 'too-many-pixels',
    });
    await expect(rasterizePage(pdf, 'application/pdf', 1, { maxPixelsPerPage: 1_000_000 })).rejects.toMatchObject({ reason: 'too-many-pixels' });
    // A page pdf.js renders (a scan's page is handed over as its embedded image in a millisecond or two).
    const drawn = minimalPdf([{ widthPt: 612, heightPt: 792, rectangle: true }]);
    const timedOut = await rasterizePage(drawn, 'application/pdf', 1, { pageTimeoutMs: 1 }).catch((e) => e);
    expect(timedOut).toBeInstanceOf(PdfWorkerFailure);
    expect(timedOut).toMatchObject({ kind: 'timeout' });
    const gone = new Error('gone');
    const controller = new AbortController();
    const rendering = rasterizePage(pdf, 'application/pdf', 1, { signal: controller.signal });
    controller.abort(gone);
    await expect(rendering).rejects.toBe(gone);
    // The next render works as before.
    expect(await rasterizePage(pdf, 'application/pdf', 2)).toMatchObject({ page: 2, dpi: 200 });
  });
});
