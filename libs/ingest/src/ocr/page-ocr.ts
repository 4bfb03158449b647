/** One recognized word, with its box in the page image's pixels (x1/y1 exclusive). */
export interface OcrWord {
  text: string;
  /** 0-100, as tesseract reports it. */
  confidence: number;
  bbox: { x0: number; y0: number; x1: number; y1: number };
}

/** What OCR found on one page image. */
export interface PageOcr {
  text: string;
  /** Mean of the words' confidences, 0-100; 0 when no word was found. */
  confidence: number;
  words: OcrWord[];
}

const WORD_LEVEL = '5';

/**
 * Reads the words out of tesseract's TSV output (level, page, block, paragraph, line, word, left,
 * top, width, height, conf, text), which is far cheaper than its block tree.
 */
export function wordsFromTsv(tsv: string): OcrWord[] {
  const words: OcrWord[] = [];
  for (const line of tsv.split('\n')) {
    const columns = line.split('\t');
    if (columns.length < 12 || columns[0] !== WORD_LEVEL) continue;
    const text = columns.slice(11).join('\t').trim();
    if (text.length === 0) continue;
    const [x0, y0, width, height, confidence] = columns.slice(6, 11).map(Number);
    words.push({ text, confidence: Math.max(0, Math.min(100, confidence)), bbox: { x0, y0, x1: x0 + width, y1: y0 + height } });
  }
  return words;
}

export function meanConfidence(words: readonly OcrWord[]): number {
  if (words.length === 0) return 0;
  const sum = words.reduce((total, word) => total + word.confidence, 0);
  return Math.round((sum / words.length) * 100) / 100;
}
