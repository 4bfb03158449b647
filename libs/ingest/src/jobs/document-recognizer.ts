import type { StoredPage } from '@medrec/blob-store';

/** One page's text as recognized, and as stored for its version (from the PDF's own text layer or from OCR). */
export type RecognizedPage = StoredPage;

/** What a recognition tells its caller before it ends. */
export interface RecognitionProgress {
  /** Every page has been rasterized and handed to OCR: what is left is recognition (the next document may start). */
  rasterized?(): void;
}

/** Turns a document's bytes into its pages' text (rasterizing and OCR'ing what has no text layer). */
export interface DocumentRecognizer {
  recognize(content: Buffer, contentType: string, progress?: RecognitionProgress): Promise<RecognizedPage[]>;
  close(): Promise<void>;
}
