/** What the OCR thread does to a page before tesseract reads it: see preprocess/ocr-input.js, which applies it. */
export type OcrPreprocessing = 'smooth-bilevel' | 'none';
export const OCR_PREPROCESSING: readonly OcrPreprocessing[] = ['smooth-bilevel', 'none'];
