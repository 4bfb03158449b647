import { PDFDocument } from 'pdf-lib';

const parses = new WeakMap<Uint8Array, Promise<PDFDocument>>();

/**
 * One pdf-lib parse of a stack's original for everything that reads it: the scan (its JPEGs) and
 * the page copies (its page objects) share it instead of parsing a 100-page PDF twice. Keyed by
 * the bytes object itself, so it is forgotten with them; both only read the document.
 */
export function parsedPdf(bytes: Uint8Array): Promise<PDFDocument> {
  let parse = parses.get(bytes);
  if (!parse) {
    parse = PDFDocument.load(bytes, { updateMetadata: false });
    parses.set(bytes, parse);
  }
  return parse;
}
