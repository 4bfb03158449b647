import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PDFDocument, PDFName, PDFNumber, StandardFonts } from 'pdf-lib';
import sharp from 'sharp';
import { scannerStack } from '../../../../test/support/scanner-stack';
import { decodeEmbeddedScan } from './decode-embedded-scan';
import { rasterizeDocument } from './rasterize-document';
import { EmbeddedScan, PdfWorker, PdfWorkerReply, PdfWorkerSettings } from './pdf-worker';

const SCANS = join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'scans');
const SETTINGS: PdfWorkerSettings = { maxPixelsPerPage: 60_000_000, vectorDpi: 300, minPageSidePixels: 16, maxPageAspectRatio: 20 };

const manifest: Array<{ file: string; pages: number }> = JSON.parse(readFileSync(join(SCANS, 'manifest.json'), 'utf8'));
const fixturePdfs = manifest.filter((entry) => entry.file.endsWith('.pdf'));

async function ask(source: Buffer, request: Parameters<PdfWorker['request']>[0], settings: Partial<PdfWorkerSettings> = {}): Promise<PdfWorkerReply> {
  const worker = new PdfWorker({ data: source }, { ...SETTINGS, ...settings });
  try {
    return await worker.request(request, 30_000);
  } finally {
    await worker.close();
  }
}

/** Page `page` as its embedded scan (the fast path) and as pdf.js paints it, both as 8-bit grey pixels. */
async function bothWays(pdf: Buffer, page: number): Promise<{ scan: EmbeddedScan; fast: Buffer; pdfjs: Buffer; width: number; height: number }> {
  const fastReply = await ask(pdf, { type: 'render', page });
  if (fastReply.type !== 'page' || !('scan' in fastReply)) throw new Error(`page ${page} was not handed over as its embedded scan`);
  const slowReply = await ask(pdf, { type: 'render', page, pdfjs: true });
  if (slowReply.type !== 'page' || !('image' in slowReply)) throw new Error(`page ${page} was not rendered by pdf.js`);
  const decoded = await decodeEmbeddedScan(fastReply.scan, SETTINGS.maxPixelsPerPage);
  expect([decoded.width, decoded.height, decoded.dpi]).toEqual([slowReply.image.width, slowReply.image.height, slowReply.image.dpi]);
  return { scan: fastReply.scan, fast: decoded.gray, pdfjs: Buffer.from(slowReply.image.gray), width: decoded.width, height: decoded.height };
}

function differences(a: Buffer, b: Buffer): { pixels: number; max: number } {
  let pixels = 0;
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (d > 0) {
      pixels++;
      max = Math.max(max, d);
    }
  }
  return { pixels, max };
}

/** A scanner-style PDF made with pdf-lib: each page one grey JPEG drawn over the whole page, and whatever `extra` adds. */
async function scannerPdf(
  pages: Array<{ widthPt: number; heightPt: number; pixels: [number, number] }>,
  extra?: (doc: PDFDocument, page: ReturnType<PDFDocument['addPage']>) => Promise<void>,
): Promise<Buffer> {
  const doc = await PDFDocument.create();
  for (const { widthPt, heightPt, pixels } of pages) {
    const jpeg = await sharp({ create: { width: pixels[0], height: pixels[1], channels: 3, background: '#d0d0d0' } })
      .toColourspace('b-w')
      .jpeg()
      .toBuffer();
    const image = await doc.embedJpg(jpeg);
    const page = doc.addPage([widthPt, heightPt]);
    page.drawImage(image, { x: 0, y: 0, width: widthPt, height: heightPt });
    if (extra) await extra(doc, page);
  }
  return Buffer.from(await doc.save());
}

const LETTER_PAGE = { widthPt: 612, heightPt: 792, pixels: [1700, 2200] as [number, number] };

describe('embedded scans: a scanner’s PDF read from its images, not rendered by pdf.js', () => {
  describe.each(fixturePdfs.map((entry) => [entry.file, entry.pages] as const))('%s', (file, pages) => {
    const pdf = readFileSync(join(SCANS, file));

    it('is inspected from its structure', async () => {
      expect(await ask(pdf, { type: 'inspect' }, { maxPages: 500 })).toEqual({ type: 'inspected', pages, textLayerPages: 0, embeddedScans: true });
    });

    it.each(Array.from({ length: pages }, (_, i) => i + 1))(
      'page %i: the Group 4 image decoded by libtiff has exactly the pixels pdf.js paints',
      async (page) => {
        const { scan, fast, pdfjs } = await bothWays(pdf, page);
        expect(scan.kind).toBe('ccitt');
        expect(differences(fast, pdfjs)).toEqual({ pixels: 0, max: 0 });
        // Not a vacuous match: the page has ink and paper.
        expect(fast.includes(0) && fast.includes(255)).toBe(true);
      },
    );
  });

  describe('a scanner stack’s PDF (a JPEG a page, three components, grey content)', () => {
    let pdf: Buffer;
    beforeAll(async () => {
      const stack = await scannerStack([{ kind: 'scan', file: 'mrn-00600218-lab-report.pdf', page: 1 }, { kind: 'separator' }, { kind: 'blank' }]);
      pdf = await stack.pdf();
    }, 60_000);

    it('is inspected from its structure', async () => {
      expect(await ask(pdf, { type: 'inspect' }, { maxPages: 500 })).toEqual({ type: 'inspected', pages: 3, textLayerPages: 0, embeddedScans: true });
    });

    it.each([1, 2, 3])('page %i: libjpeg’s pixels are pdf.js’s within one level of grey', async (page) => {
      const { scan, fast, pdfjs, width, height } = await bothWays(pdf, page);
      expect(scan).toMatchObject({ kind: 'jpeg', channels: 3, width: 1700, height: 2200, dpi: 200 });
      const { pixels, max } = differences(fast, pdfjs);
      // pdf.js's own JPEG decoder and libjpeg-turbo round differently: at most one level, on a
      // small share of the pixels (measured: 0.1%, 0.9% and 0.7% of these three pages).
      expect(max).toBeLessThanOrEqual(1);
      expect(pixels / (width * height)).toBeLessThan(0.1);
    });
  });

  it('hands OCR the embedded scans, and renders with pdf.js a page whose JPEG libjpeg refuses (truncated)', async () => {
    const jpeg = await sharp({ create: { width: 1700, height: 2200, channels: 3, background: '#fff' } })
      .composite([{ input: Buffer.from('<svg width="1700" height="2200"><rect x="100" y="100" width="800" height="60"/></svg>') }])
      .toColourspace('b-w')
      .jpeg()
      .toBuffer();
    const doc = await PDFDocument.create();
    for (const bytes of [jpeg, jpeg.subarray(0, Math.floor(jpeg.length * 0.6))]) {
      const page = doc.addPage([612, 792]);
      page.drawImage(await doc.embedJpg(bytes), { x: 0, y: 0, width: 612, height: 792 });
    }
    const pdf = Buffer.from(await doc.save());
    const pages = [];
    for await (const page of rasterizeDocument(pdf, 'application/pdf', { encoding: 'pgm' })) pages.push(page);
    expect(pages.map((p) => [p.page, p.image?.width, p.image?.height, p.image?.dpi])).toEqual([
      [1, 1700, 2200, 200],
      [2, 1700, 2200, 200],
    ]);
    // The bar drawn at the top left is black on both (pdf.js paints what the truncated JPEG holds).
    for (const { image } of pages) expect(image!.data[image!.data.length - 1700 * 2200 + 130 * 1700 + 500]).toBeLessThan(64);
  });

  describe('anything else is left to pdf.js', () => {
    it('a page with a text run over its scan', async () => {
      const pdf = await scannerPdf([LETTER_PAGE], async (doc, page) => {
        page.drawText('Stamp', { x: 50, y: 50, size: 10, font: await doc.embedFont(StandardFonts.Helvetica) });
      });
      expect(await ask(pdf, { type: 'inspect' })).toEqual({ type: 'inspected', pages: 1, textLayerPages: 0, embeddedScans: false });
      const rendered = await ask(pdf, { type: 'render', page: 1 });
      expect(rendered.type === 'page' && 'image' in rendered).toBe(true);
    });

    it('a page with a second image', async () => {
      const pdf = await scannerPdf([LETTER_PAGE], async (doc, page) => {
        const logo = await doc.embedJpg(
          await sharp({ create: { width: 50, height: 50, channels: 3, background: '#000' } })
            .jpeg()
            .toBuffer(),
        );
        page.drawImage(logo, { x: 10, y: 10, width: 50, height: 50 });
      });
      expect(await ask(pdf, { type: 'inspect' })).toMatchObject({ type: 'inspected', embeddedScans: false });
    });

    it('a page with an annotation', async () => {
      const pdf = await scannerPdf([LETTER_PAGE], async (doc, page) => {
        const annotation = doc.context.obj({ Type: 'Annot', Subtype: 'Square', Rect: [10, 10, 100, 100], C: [1, 0, 0] });
        page.node.set(PDFName.of('Annots'), doc.context.obj([doc.context.register(annotation)]));
      });
      expect(await ask(pdf, { type: 'inspect' })).toMatchObject({ type: 'inspected', embeddedScans: false });
    });

    it('a rotated page', async () => {
      const pdf = await scannerPdf([LETTER_PAGE], async (_doc, page) => {
        page.node.set(PDFName.of('Rotate'), PDFNumber.of(90));
      });
      expect(await ask(pdf, { type: 'inspect' })).toMatchObject({ type: 'inspected', embeddedScans: false });
    });

    it('a scan drawn smaller than the page (pdf.js would resample it)', async () => {
      const pdf = await scannerPdf([{ ...LETTER_PAGE, pixels: [1600, 2200] }]);
      expect(await ask(pdf, { type: 'inspect' })).toMatchObject({ type: 'inspected', embeddedScans: false });
    });

    it('the same PDF without any of these is taken from its scans', async () => {
      expect(await ask(await scannerPdf([LETTER_PAGE, LETTER_PAGE]), { type: 'inspect' })).toEqual({
        type: 'inspected',
        pages: 2,
        textLayerPages: 0,
        embeddedScans: true,
      });
    });
  });

  describe('refused as pdf.js refuses', () => {
    /** The same pages with a text run that sends them to pdf.js. */
    const withText = async (doc: PDFDocument, page: ReturnType<PDFDocument['addPage']>) => {
      page.drawText('x', { x: 1, y: 1, size: 1, font: await doc.embedFont(StandardFonts.Helvetica) });
    };
    const refusalOf = async (pdf: Buffer, settings: Partial<PdfWorkerSettings>) => {
      try {
        return await ask(pdf, { type: 'inspect' }, settings);
      } catch (error) {
        return { name: (error as Error).name, reason: (error as { reason?: string }).reason, message: (error as Error).message };
      }
    };

    it.each([
      ['too many pages', [LETTER_PAGE, LETTER_PAGE, LETTER_PAGE], { maxPages: 2 }, 'too-many-pages'],
      ['too many pixels', [LETTER_PAGE], { maxPixelsPerPage: 1700 * 2200 - 1 }, 'too-many-pixels'],
      ['a page too elongated', [{ widthPt: 720, heightPt: 30, pixels: [2000, 83] as [number, number] }], {}, 'page-too-elongated'],
      ['a page too narrow', [{ widthPt: 72, heightPt: 72, pixels: [50, 50] as [number, number] }], { minPageSidePixels: 64 }, 'page-too-narrow'],
    ] as const)('%s', async (_name, pages, settings, reason) => {
      const fast = await refusalOf(await scannerPdf([...pages]), settings);
      const slow = await refusalOf(await scannerPdf([...pages], withText), settings);
      expect(fast).toMatchObject({ name: 'IngestRefusal', reason });
      expect(fast).toEqual(slow);
    });
  });
});
