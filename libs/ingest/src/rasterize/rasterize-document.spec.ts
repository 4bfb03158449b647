import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { DocumentContentType } from '../inspect/document-content-type';
import { IngestRefusal } from '../inspect/ingest-refusal';
import { PageRaster, rasterizeDocument, RasterizeOptions } from './rasterize-document';
import { PdfWorkerFailure } from './pdf-worker';
import { minimalPdf } from './testing/minimal-pdf';

const FIXTURES = join(__dirname, '..', '..', '..', '..', 'test', 'fixtures');
const BAD_INPUTS = join(FIXTURES, 'bad-inputs');
const SCANS = join(FIXTURES, 'scans');

const CONTENT_TYPE_BY_EXTENSION: Record<string, DocumentContentType> = {
  pdf: 'application/pdf',
  tif: 'image/tiff',
  png: 'image/png',
  jpg: 'image/jpeg',
};

async function allPages(source: string | Buffer, contentType: DocumentContentType, options?: RasterizeOptions): Promise<PageRaster[]> {
  const pages: PageRaster[] = [];
  for await (const page of rasterizeDocument(source, contentType, options)) pages.push(page);
  return pages;
}

describe('rasterizeDocument', () => {
  const manifest: Array<{ file: string; pages: number }> = JSON.parse(readFileSync(join(SCANS, 'manifest.json'), 'utf8'));

  describe('scans (test/fixtures/scans/manifest.json)', () => {
    it.each(manifest.map((entry) => [entry.file, entry.pages] as const))(
      '%s: %i page(s) at the scan’s own 200 dpi, bilevel ones as PBM, grey ones as PNG',
      async (file, pageCount) => {
        const pages = await allPages(join(SCANS, file), CONTENT_TYPE_BY_EXTENSION[file.split('.').pop()!]);
        expect(pages.map((p) => p.page)).toEqual(Array.from({ length: pageCount }, (_, i) => i + 1));
        for (const { image, textLayer } of pages) {
          expect(textLayer).toBeUndefined();
          expect(image).toBeDefined();
          const { data, width, height, dpi } = image!;
          expect(dpi).toBe(200);
          // US letter at 200 dpi is 1700 x 2200; the scanner's margins and skew add a little.
          expect(width).toBeGreaterThan(1650);
          expect(width).toBeLessThan(1800);
          expect(height).toBeGreaterThan(2150);
          expect(height).toBeLessThan(2300);
          if (data.subarray(0, 2).toString('latin1') === 'P4') {
            // Netpbm bitmap: the header carries the size; the dpi travels beside it.
            expect(data.subarray(0, 32).toString('latin1')).toMatch(new RegExp(`^P4\\n${width} ${height}\\n`));
            expect(data.length).toBeGreaterThanOrEqual(((width + 7) >> 3) * height);
          } else {
            const encoded = await sharp(data).metadata();
            expect(encoded).toMatchObject({ format: 'png', width, height, channels: 1, density: 200 });
          }
        }
      },
    );

    it('renders a scanned PDF page to the embedded scan’s own pixels, not a resampling', async () => {
      // The lab report's first page is a 1706 x 2206 Group 4 image over a 614.16 x 794.16 pt page.
      const [first] = await allPages(join(SCANS, 'mrn-00600218-lab-report.pdf'), 'application/pdf', { encoding: 'png' });
      expect(first.image).toMatchObject({ width: 1706, height: 2206, dpi: 200 });
      const stats = await sharp(first.image!.data).stats();
      // Black text on white: mostly white, some ink.
      expect(stats.channels[0].mean).toBeGreaterThan(200);
      expect(stats.channels[0].min).toBeLessThan(50);
    });
  });

  it('takes born-digital-letter.pdf’s text from its own text layer, with no image to OCR', async () => {
    const pages = await allPages(join(BAD_INPUTS, 'born-digital-letter.pdf'), 'application/pdf');
    expect(pages).toHaveLength(1);
    expect(pages[0].image).toBeUndefined();
    expect(pages[0].textLayer).toContain('REFERRAL LETTER');
    expect(pages[0].textLayer).toContain('MRN-00455120');
    expect(pages[0].textLayer).toMatch(/\n/);
  });

  it('rasterizes a JPEG named .tif as the JPEG it is', async () => {
    const pages = await allPages(join(BAD_INPUTS, 'jpeg-named-as.tif'), 'image/jpeg');
    expect(pages).toHaveLength(1);
    expect(pages[0].image).toMatchObject({ width: 1742, height: 2232, dpi: 200 });
  });

  it('encodes PGM when asked (P5, 8-bit, no compression)', async () => {
    for (const file of ['mrn-00519377-progress-note.tif', 'mrn-00600218-progress-note.pdf']) {
      const [page] = await allPages(join(SCANS, file), CONTENT_TYPE_BY_EXTENSION[file.split('.').pop()!], { encoding: 'pgm' });
      const { data, width, height } = page.image!;
      const header = `P5\n${width} ${height}\n255\n`;
      expect(data.subarray(0, header.length).toString('ascii')).toBe(header);
      expect(data.length).toBe(header.length + width * height);
    }
  });

  it('takes the bytes as well as a path', async () => {
    const file = join(SCANS, 'mrn-00600218-lab-report.pdf');
    const fromBytes = await allPages(readFileSync(file), 'application/pdf');
    const fromPath = await allPages(file, 'application/pdf');
    expect(fromBytes.map((p) => [p.page, p.image?.width, p.image?.height, p.image?.dpi])).toEqual(
      fromPath.map((p) => [p.page, p.image?.width, p.image?.height, p.image?.dpi]),
    );
    const [tiffPage] = await allPages(readFileSync(join(SCANS, 'mrn-00733105-nursing-notes.tif')), 'image/tiff');
    expect(tiffPage.image?.dpi).toBe(200);
  });

  it('stops cleanly when the consumer stops early', async () => {
    const generator = rasterizeDocument(join(SCANS, 'mrn-00600218-lab-report.pdf'), 'application/pdf');
    const first = await generator.next();
    expect(first.value).toMatchObject({ page: 1 });
    await expect(generator.return(undefined)).resolves.toEqual({ done: true, value: undefined });
  });

  it('turns a 16-bit colour PNG with transparency into 8-bit gray on white', async () => {
    const png = await sharp({ create: { width: 120, height: 90, channels: 4, background: { r: 200, g: 0, b: 0, alpha: 0 } } })
      .toColourspace('rgb16')
      .png()
      .toBuffer();
    expect((await sharp(png).metadata()).depth).toBe('ushort');
    const [page] = await allPages(png, 'image/png', { encoding: 'pgm' });
    expect(page.image).toMatchObject({ width: 120, height: 90, dpi: 200 });
    const pixels = page.image!.data.subarray(page.image!.data.length - 120 * 90);
    // 16-bit white scaled to 8 bits may round to 254.
    expect(pixels.every((value) => value >= 250)).toBe(true);
  });

  it('gives the next documents the same PDF threads and results, whatever the previous one ended in', async () => {
    const lab = join(SCANS, 'mrn-00600218-lab-report.pdf');
    const first = await allPages(lab, 'application/pdf');
    // Concurrent documents, one abandoned after its first page, one refused, one timed out.
    const [second, third] = await Promise.all([allPages(lab, 'application/pdf'), allPages(readFileSync(lab), 'application/pdf')]);
    const abandoned = rasterizeDocument(lab, 'application/pdf');
    await abandoned.next();
    await abandoned.return(undefined);
    await expect(allPages(join(BAD_INPUTS, 'password-protected.pdf'), 'application/pdf')).rejects.toMatchObject({ reason: 'encrypted' });
    // A page pdf.js renders: the lab report's scans are handed over in a millisecond or two.
    const drawn = minimalPdf([{ widthPt: 612, heightPt: 792, rectangle: true }]);
    await expect(allPages(drawn, 'application/pdf', { pageTimeoutMs: 1 })).rejects.toMatchObject({ kind: 'timeout' });
    const last = await allPages(lab, 'application/pdf');
    for (const pages of [second, third, last]) expect(pages).toEqual(first);
  });

  it('gives up on a PDF page that takes longer than pageTimeoutMs', async () => {
    // Rendered by pdf.js at 300 dpi (a scan's page would be its embedded image, handed over in a millisecond or two).
    const drawn = minimalPdf([{ widthPt: 612, heightPt: 792, rectangle: true }]);
    const error = await allPages(drawn, 'application/pdf', { pageTimeoutMs: 1 }).catch((e) => e);
    expect(error).toBeInstanceOf(PdfWorkerFailure);
    expect(error).toMatchObject({ kind: 'timeout' });
  });

  describe('PDFs the fixtures do not cover', () => {
    it('renders a page with neither text nor a scan at 300 dpi, and a page with text not at all', async () => {
      const pdf = minimalPdf([
        { widthPt: 612, heightPt: 792, rectangle: true },
        { widthPt: 612, heightPt: 792, lines: ['Operative report of a fictional patient, dictated and typed.'] },
      ]);
      const pages = await allPages(pdf, 'application/pdf');
      expect(pages[0].image).toMatchObject({ width: 2550, height: 3300, dpi: 300 });
      expect(pages[1]).toEqual({ page: 2, textLayer: 'Operative report of a fictional patient, dictated and typed.' });
    });

    it('renders an embedded scan at its own resolution: 150 dpi stays 150 dpi', async () => {
      const gray = Buffer.alloc(1275 * 1650, 255);
      const pdf = minimalPdf([{ widthPt: 612, heightPt: 792, image: { width: 1275, height: 1650, gray } }]);
      const [page] = await allPages(pdf, 'application/pdf');
      expect(page.image).toMatchObject({ width: 1275, height: 1650, dpi: 150 });
    });

    it('OCRs a scan with only a short stamp in its text layer instead of taking the stamp as the page', async () => {
      const gray = Buffer.alloc(1700 * 2200, 255);
      const pdf = minimalPdf([
        { widthPt: 612, heightPt: 792, image: { width: 1700, height: 2200, gray }, lines: ['RECEIVED 2025-01-20 MEDICAL RECORDS DEPT'] },
      ]);
      const [page] = await allPages(pdf, 'application/pdf');
      expect(page.textLayer).toBeUndefined();
      expect(page.image).toMatchObject({ width: 1700, height: 2200, dpi: 200 });
    });
  });

  describe('limits', () => {
    it('refuses a page over maxPixelsPerPage, image or PDF', async () => {
      for (const file of ['mrn-00482913-progress-note.jpg', 'mrn-00600218-lab-report.pdf']) {
        const error = await allPages(join(SCANS, file), CONTENT_TYPE_BY_EXTENSION[file.split('.').pop()!], { maxPixelsPerPage: 1_000_000 }).catch((e) => e);
        expect(error).toBeInstanceOf(IngestRefusal);
        expect(error).toMatchObject({ status: 422, reason: 'too-many-pixels' });
      }
    });

    it('refuses a truncated image it is handed', async () => {
      const error = await allPages(join(BAD_INPUTS, 'truncated.jpg'), 'image/jpeg').catch((e) => e);
      expect(error).toMatchObject({ reason: 'corrupt' });
    });

    it('refuses a password-protected PDF it is handed', async () => {
      const error = await allPages(join(BAD_INPUTS, 'password-protected.pdf'), 'application/pdf').catch((e) => e);
      expect(error).toMatchObject({ reason: 'encrypted' });
    });
  });
});
