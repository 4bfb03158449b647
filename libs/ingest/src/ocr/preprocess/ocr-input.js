'use strict';
/*
 * Which preprocessing an OCR page gets, applied in the OCR thread (ocr-thread.js) to the
 * recognize request tesseract.js sends it.
 */
const { smoothBilevelPage } = require('./smooth-bilevel');

/** The recognize option naming the preprocessing; never passed on to tesseract. */
const PREPROCESS_OPTION = 'medrec_preprocess';

/** 'smooth-bilevel' (bilevel pages smoothed, others as they are) or 'none'. */
const PREPROCESSING = ['smooth-bilevel', 'none'];

/** Replaces payload.image by its preprocessed form where that applies, and removes the option. */
function preprocessRecognizeRequest(payload) {
  const mode = payload.options[PREPROCESS_OPTION];
  const { [PREPROCESS_OPTION]: _taken, ...tesseractOptions } = payload.options;
  payload.options = tesseractOptions;
  if (mode === 'smooth-bilevel') {
    const smoothed = smoothBilevelPage(payload.image);
    if (smoothed) payload.image = smoothed;
  }
}

module.exports = { PREPROCESS_OPTION, PREPROCESSING, preprocessRecognizeRequest };
