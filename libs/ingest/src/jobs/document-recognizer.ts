/** One page's text as stored for a version: from the PDF's own text layer or from OCR. */
export interface RecognizedPage {
  page: number;
  text: string;
  /** Mean word confidence 0-100 (100 for a text layer). */
  confidence: number;
  source: 'text-layer' | 'ocr';
  words: Array<{ text: string; confidence: number; bbox: { x0: number; y0: number; x1: number; y1: number } }>;
}

/** Turns a document's bytes into its pages' text (rasterizing and OCR'ing what has no text layer). */
export interface DocumentRecognizer {
  recognize(content: Buffer, contentType: string): Promise<RecognizedPage[]>;
  close(): Promise<void>;
}
