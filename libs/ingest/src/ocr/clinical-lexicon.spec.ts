import { join } from 'node:path';
import { DEFAULT_INGEST_LIMITS, inspectDocument } from '../inspect/inspect-document';
import { rasterizeDocument } from '../rasterize/rasterize-document';
import { clinicalLexiconWords } from './clinical-lexicon';
import { OcrPool } from './ocr-pool';

jest.setTimeout(60_000);

/** A progress note of the shared set whose plan reads "Recheck HbAlc" without the lexicon (bench/ocr-tuning). */
const PROGRESS_NOTE = join(__dirname, '../../../../test/fixtures/scans/mrn-00600218-progress-note.pdf');

async function firstPage(path: string): Promise<{ data: Buffer; dpi: number }> {
  const { contentType } = await inspectDocument(path, DEFAULT_INGEST_LIMITS);
  for await (const raster of rasterizeDocument(path, contentType)) if (raster.image) return raster.image;
  throw new Error('no page image');
}

async function readWith(options: { clinicalLexicon?: boolean }, page: { data: Buffer; dpi: number }): Promise<string> {
  const pool = await OcrPool.start({ workers: 1, ...options });
  try {
    return (await pool.recognize(page.data, { dpi: page.dpi })).text;
  } finally {
    await pool.close();
  }
}

describe('the clinical lexicon', () => {
  it('is a list of single words for tesseract, its comments left out', () => {
    const words = clinicalLexiconWords();
    expect(words.length).toBeGreaterThan(300);
    expect(words).toEqual(expect.arrayContaining(['HbA1c', 'eGFR', 'aPTT', 'SpO2', 'mg/dL', 'mmHg']));
    expect(words.filter((word) => /\s/.test(word) || word.startsWith('#'))).toEqual([]);
    expect(new Set(words).size).toBe(words.length);
  });

  it('is loaded into the engine by default and changes what it reads', async () => {
    const page = await firstPage(PROGRESS_NOTE);
    const withLexicon = await readWith({}, page);
    const without = await readWith({ clinicalLexicon: false }, page);

    expect(withLexicon).toContain('Recheck HbA1c in 3 months');
    expect(without).not.toContain('HbA1c');
    // Nothing else on the page changed.
    expect(withLexicon.replace('HbA1c', 'HbAlc')).toBe(without);
  });
});
