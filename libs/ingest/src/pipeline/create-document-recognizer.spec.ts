import { OcrPool } from '../ocr/ocr-pool';
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
});
