import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OcrPool } from '../ocr/ocr-pool';
import { sharp } from '../rasterize/sharp-settings';
import { minimalPdf } from '../rasterize/testing/minimal-pdf';
import { createDocumentRecognizer } from './create-document-recognizer';

describe('createDocumentRecognizer', () => {
  it('does not keep an OCR pool that failed to start: the next document starts one again', async () => {
    const start = jest.spyOn(OcrPool, 'start').mockRejectedValueOnce(Object.assign(new Error('no language data'), { name: 'PoolStartError' }));
    const recognizer = createDocumentRecognizer({ workers: 1, idleMs: 10 });
    try {
      const pdf = minimalPdf([{ widthPt: 612, heightPt: 792, lines: ['Progress note of a fictional patient.'] }]);
      await expect(recognizer.recognize(pdf, 'application/pdf')).rejects.toMatchObject({ name: 'PoolStartError' });
      const pages = await recognizer.recognize(pdf, 'application/pdf');
      expect(pages).toEqual([expect.objectContaining({ page: 1, source: 'text-layer', text: expect.stringContaining('Progress note') })]);
      expect(start).toHaveBeenCalledTimes(2);
    } finally {
      start.mockRestore();
      await recognizer.close();
    }
  });

  it("measures each OCR'd page; a page bearing only a page number is OCR'd, found blank and kept without text; a scan is kept as read", async () => {
    // A letter page at 200 dpi bearing only a page number: OCR reads it, but no word of three
    // letters or digits, and there is little ink: a blank page (the back of a sheet), kept without text.
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1700" height="2200"><rect width="1700" height="2200" fill="#fff"/>
      <text x="850" y="2000" font-family="DejaVu Sans, Liberation Sans, sans-serif" font-size="60" text-anchor="middle">- 2 -</text></svg>`;
    const pageNumberOnly = await sharp(Buffer.from(svg)).toColourspace('b-w').png().withMetadata({ density: 200 }).toBuffer();
    const scan = readFileSync(join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'scans', 'mrn-00482913-radiology-report.png'));
    const recognizer = createDocumentRecognizer({ workers: 1, idleMs: 10 });
    try {
      const [blank] = await recognizer.recognize(pageNumberOnly, 'image/png');
      expect(blank.quality).toMatchObject({ blank: true });
      expect(blank.quality!.inkRatio).toBeGreaterThan(0.0001);
      expect(blank).toMatchObject({ text: '', words: [] });
      const [read] = await recognizer.recognize(scan, 'image/png');
      expect(read.quality).toMatchObject({ blank: false, skewed: false, dark: false });
      expect(read.text.length).toBeGreaterThan(200);
    } finally {
      await recognizer.close();
    }
  });

  it('says when every page is rasterized and with the OCR workers, before their recognition ends (the next document may start then)', async () => {
    const events: string[] = [];
    const recognizer = createDocumentRecognizer({ workers: 1, idleMs: 10, onPage: ({ source }) => events.push(`${source} page done`) });
    try {
      // Not a blank page (that one would not go to OCR at all): a line of text.
      const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="850" height="1100"><rect width="850" height="1100" fill="#fff"/>
        <text x="100" y="200" font-family="DejaVu Sans, Liberation Sans, sans-serif" font-size="40">Discharge summary</text></svg>`;
      const page = await sharp(Buffer.from(svg)).withMetadata({ density: 200 }).png().toBuffer();
      const recognized = recognizer.recognize(page, 'image/png', { rasterized: () => events.push('rasterized') }).then((pages) => {
        events.push('recognized');
        return pages;
      });
      expect(await recognized).toEqual([expect.objectContaining({ page: 1, source: 'ocr' })]);
      expect(events).toEqual(['rasterized', 'ocr page done', 'recognized']);
    } finally {
      await recognizer.close();
    }
  });
});
