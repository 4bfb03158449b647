/** The recognize option naming the preprocessing; never passed on to tesseract. */
export const PREPROCESS_OPTION: 'medrec_preprocess';

export const PREPROCESSING: readonly ['smooth-bilevel', 'none'];

/** Replaces payload.image by its preprocessed form where that applies, and removes the option. */
export function preprocessRecognizeRequest(payload: { image: Uint8Array; options: Record<string, unknown> }): void;
