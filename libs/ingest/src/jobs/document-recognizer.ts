import type { StoredPage } from '@medrec/blob-store';

/** One page's text as recognized, and as stored for its version (from the PDF's own text layer or from OCR). */
export type RecognizedPage = StoredPage;

/** Turns a document's bytes into its pages' text (rasterizing and OCR'ing what has no text layer). */
export interface DocumentRecognizer {
  recognize(content: Buffer, contentType: string): Promise<RecognizedPage[]>;
  close(): Promise<void>;
}
