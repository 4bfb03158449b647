import { parseSheetCode, type SheetCode } from '@medrec/domain';
import type { ReaderOptions, ReadResult } from 'zxing-wasm/reader';
import { readGrayCodes } from './zxing-reader';

/** A rasterized page: 8-bit grayscale (bilevel scans as 0/255), one byte a pixel, rows top to bottom. */
export interface GrayPage {
  gray: Uint8Array;
  width: number;
  height: number;
}

/** More codes than this on one page is not a page of ours: the rest are not looked for. */
const MAX_CODES_PER_PAGE = 8;

const QR_ONLY: ReaderOptions = {
  // Model 2 alone, the QR code every printer makes: 'QRCode' also looks for Micro QR and rMQR
  // codes, which the noise of a stained code or of handwriting can pass for (unknown codes).
  formats: ['QRCodeModel2'],
  tryHarder: true,
  // A QR code's finder patterns are found at any angle; rotating is for linear barcodes.
  tryRotate: false,
  tryInvert: false,
  tryDownscale: false,
  // Symbols found but not decoded come back too (isValid false): they are reported as unknown.
  returnErrors: true,
  textMode: 'Plain',
  maxNumberOfSymbols: MAX_CODES_PER_PAGE,
};

/**
 * Every QR code on a page, each read strictly (parseSheetCode): a cover sheet's id, a separator, or
 * unknown. zxing returns a code as read only when its Reed-Solomon check corrects every error, so
 * a damaged code gives its exact text or none; a code that was found but not read (or read but
 * not quite ours) is `unknown` without text, never a cover sheet.
 *
 * Decoded on a half-size copy of the page (box-averaged; a 200 dpi sheet's modules are ~10 pixels
 * wide, 5 at half size): about a third faster than the full page, and more reliable on scans, whose
 * specks of dust break the finder patterns' run lengths at full size and are averaged away at half
 * (bench:qr: the full page alone missed 3 of the 5 codes of the test stack, the half-size none).
 */
export async function decodeSheetCodes(page: GrayPage): Promise<SheetCode[]> {
  if (page.gray.length !== page.width * page.height) throw new Error(`Expected ${page.width * page.height} grayscale bytes, got ${page.gray.length}`);
  return decodeReducedPageCodes(halfSize(page));
}

/** decodeSheetCodes of a page already reduced (a scanner's JPEG decoded at a third of its size by scanStackPages): read as it is. */
export async function decodeReducedPageCodes(small: GrayPage): Promise<SheetCode[]> {
  if (small.gray.length !== small.width * small.height) throw new Error(`Expected ${small.width * small.height} grayscale bytes, got ${small.gray.length}`);
  return (await readGrayCodes(small.gray, small.width, small.height, QR_ONLY)).map(toSheetCode);
}

/** The full page alone, without the half-size pass: what decodeSheetCodes is measured against (bench:qr). */
export async function decodeFullPage(page: GrayPage): Promise<SheetCode[]> {
  return (await readGrayCodes(page.gray, page.width, page.height, QR_ONLY)).map(toSheetCode);
}

const isRead = (result: ReadResult): boolean => result.isValid && (result.format === 'QRCode' || result.format === 'QRCodeModel2');

function toSheetCode(result: ReadResult): SheetCode {
  return isRead(result) ? parseSheetCode(result.text) : { kind: 'unknown' };
}

/** The page at half its width and height, each pixel the mean of a 2x2 block. */
export function halfSize({ gray, width, height }: GrayPage): GrayPage {
  const w = width >> 1;
  const h = height >> 1;
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    const top = 2 * y * width;
    const bottom = top + width;
    const row = y * w;
    for (let x = 0; x < w; x++) {
      const i = 2 * x;
      out[row + x] = (gray[top + i] + gray[top + i + 1] + gray[bottom + i] + gray[bottom + i + 1] + 2) >> 2;
    }
  }
  return { gray: out, width: w, height: h };
}
