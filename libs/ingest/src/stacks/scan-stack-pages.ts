import { readFile } from 'node:fs/promises';
import type { SheetCode } from '@medrec/domain';
import { decodeSlots } from '../inspect/decode-slots';
import { DEFAULT_INGEST_LIMITS } from '../inspect/ingest-limits';
import type { DocumentContentType } from '../inspect/document-content-type';
import { decodeHalfSizeCodes, decodeSheetCodes, type GrayPage } from '../qr/decode-sheet-codes';
import { isSurelyBlank, measureRaster } from '../quality/page-quality';
import { hasSheetMarker } from '../sheets/sheet-marker';
import type { RasterizeOptions } from '../rasterize/page-raster';
import { rasterizeDocument } from '../rasterize/rasterize-document';
import { rasterizePage } from '../rasterize/rasterize-page';
import { sharp } from '../rasterize/sharp-settings';
import { scannedPdfImages } from './scanned-pdf-images';

/** One page of a stack as splitting sees it. */
export interface ScannedPage {
  /** From 1. */
  page: number;
  codes: SheetCode[];
  blank: boolean;
  /** Whether the page shows the marker printed along the edges of every medrec sheet (hasSheetMarker), codes or not. */
  sheetMarker: boolean;
  /** Time spent decoding codes on this page, ms. */
  decodeMs: number;
  /** Time spent looking for the sheet marker on this page, ms. */
  markerMs: number;
}

/**
 * Every page of a stack, in order, rasterized as OCR rasterizes it (one page's pixels at a time, at
 * the scan's own resolution), with the QR codes on it, whether it shows the sheet marker (a sheet
 * whose codes are all gone is still a sheet), and whether it is blank (the review queue's
 * measure: surely blank, no ink at all; see isBlank). A PDF page with a text layer is rendered too: a cover sheet
 * sent as a PDF page of its own still has to be seen. A PDF whose every page is one upright JPEG (a
 * scanner's) is read from its JPEGs instead (scannedPdfImages), decoded by libjpeg at half scale (in
 * the DCT: what the codes are read at anyway, a quarter of the pixels for the marker and the blank
 * test): several times faster than rendering and decoding the whole page. The record's pages are
 * the scan's own JPEGs, untouched; only this look at them is at half size.
 */
export async function* scanStackPages(
  source: string | Buffer,
  contentType: DocumentContentType,
  options: Omit<RasterizeOptions, 'encoding' | 'measureQuality'> = {},
): AsyncGenerator<ScannedPage> {
  if (contentType === 'application/pdf') {
    const bytes = typeof source === 'string' ? await readFile(source) : source;
    const images = await scannedPdfImages(bytes, options.maxPixelsPerPage ?? DEFAULT_INGEST_LIMITS.maxPixelsPerPage);
    if (images) {
      for (const [index, image] of images.entries()) yield scanned(index + 1, await halfScaleJpegGray(image.jpeg), image.dpi / 2, true);
      return;
    }
  }
  for await (const raster of rasterizeDocument(source, contentType, { ...options, encoding: 'pgm' })) {
    let gray: GrayPage;
    let dpi: number;
    if (raster.image) {
      gray = fromPgm(raster.image.data);
      dpi = raster.image.dpi;
    } else {
      const rendered = await rasterizePage(source, contentType, raster.page, options);
      if (!rendered) throw new Error(`Page ${raster.page} could not be rendered`);
      const { data, info } = await sharp(rendered.png).toColourspace('b-w').extractChannel(0).raw().toBuffer({ resolveWithObject: true });
      gray = { gray: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
      dpi = rendered.dpi;
    }
    yield scanned(raster.page, gray, dpi);
  }
}

async function scanned(page: number, gray: GrayPage, dpi: number, halfSize = false): Promise<ScannedPage> {
  const started = performance.now();
  const codes = await (halfSize ? decodeHalfSizeCodes(gray) : decodeSheetCodes(gray));
  const decodeMs = performance.now() - started;
  const sheetMarker = hasSheetMarker(gray);
  const markerMs = performance.now() - started - decodeMs;
  return { page, codes, blank: codes.length === 0 && !sheetMarker && (await isBlank(gray, dpi)), sheetMarker, decodeMs, markerMs };
}

/**
 * A scanner's JPEG as 8-bit grey pixels at half its width and height (libjpeg-turbo's scaled IDCT:
 * shrink-on-load, no full-size decode; in one of the process's decode slots).
 */
async function halfScaleJpegGray(jpeg: Uint8Array): Promise<GrayPage> {
  return decodeSlots.run(async () => {
    const { width, height } = await sharp(jpeg).metadata();
    if (!width || !height) throw new Error('The JPEG has no size');
    const { data, info } = await sharp(jpeg)
      .resize(Math.ceil(width / 2), Math.ceil(height / 2), { fit: 'fill' })
      .toColourspace('b-w')
      .extractChannel(0)
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { gray: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
  });
}

/** Dark pixels (under half the scale) of a page with writing on it: well above a blank sheet's dust (~0.15%). */
const SURELY_INKED = 0.005;

/**
 * The review queue's blank test (isSurelyBlank over measureRaster), taken only on pages that might
 * be blank: a page whose dark pixels, counted on every fourth pixel of every fourth row, are over
 * SURELY_INKED has writing on it, and the measures (skew search included) would cost ~100 ms for nothing.
 */
async function isBlank(page: GrayPage, dpi: number): Promise<boolean> {
  let dark = 0;
  let seen = 0;
  for (let y = 0; y < page.height; y += 4) {
    const row = y * page.width;
    for (let x = 0; x < page.width; x += 4, seen++) if (page.gray[row + x] < 128) dark++;
  }
  if (dark > seen * SURELY_INKED) return false;
  return isSurelyBlank(await measureRaster(page.gray, page.width, page.height, dpi));
}

/** The pixels of a binary PGM (P5, 8-bit) as encodeGray writes it. */
function fromPgm(pgm: Buffer): GrayPage {
  const header = /^P5\s+(\d+)\s+(\d+)\s+255\s/.exec(pgm.subarray(0, 64).toString('latin1'));
  if (!header) throw new Error('Expected an 8-bit binary PGM');
  const width = Number(header[1]);
  const height = Number(header[2]);
  const offset = header[0].length;
  return { gray: new Uint8Array(pgm.buffer, pgm.byteOffset + offset, width * height), width, height };
}
