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

  it('says when every page is rasterized and with the OCR workers, before their recognition ends (the next document may start then)', async () => {
    const events: string[] = [];
    const recognizer = createDocumentRecognizer({ workers: 1, idleMs: 10, onPage: ({ source }) => events.push(`${source} page done`) });
    try {
      const page = await sharp({ create: { width: 850, height: 1100, channels: 3, background: '#ffffff' } })
        .withMetadata({ density: 200 })
        .png()
        .toBuffer();
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
