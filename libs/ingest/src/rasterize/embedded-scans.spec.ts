import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PDFDocument, PDFName, PDFNumber, StandardFonts } from 'pdf-lib';
import sharp from 'sharp';
import { scannerStack } from '../../../../test/support/scanner-stack';
import { PdfWorker, PdfWorkerReply, PdfWorkerSettings } from './pdf-worker';

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

describe('embedded scans: a scanner’s PDF inspected from its structure, not by pdf.js', () => {
  describe.each(fixturePdfs.map((entry) => [entry.file, entry.pages] as const))('%s', (file, pages) => {
    const pdf = readFileSync(join(SCANS, file));

    it('is inspected from its structure', async () => {
      expect(await ask(pdf, { type: 'inspect' }, { maxPages: 500 })).toEqual({ type: 'inspected', pages, textLayerPages: 0, embeddedScans: true });
    });
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
  });

  describe('anything else is left to pdf.js', () => {
    it('a page with a text run over its scan', async () => {
      const pdf = await scannerPdf([LETTER_PAGE], async (doc, page) => {
        page.drawText('Stamp', { x: 50, y: 50, size: 10, font: await doc.embedFont(StandardFonts.Helvetica) });
      });
      expect(await ask(pdf, { type: 'inspect' })).toEqual({ type: 'inspected', pages: 1, textLayerPages: 0, embeddedScans: false });
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
