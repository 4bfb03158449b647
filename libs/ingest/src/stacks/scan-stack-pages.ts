import type { SheetCode } from '@medrec/domain';
import { decodeSlots } from '../inspect/decode-slots';
import { DEFAULT_INGEST_LIMITS } from '../inspect/ingest-limits';
import type { DocumentContentType } from '../inspect/document-content-type';
import { decodeReducedPageCodes, decodeSheetCodes, type GrayPage } from '../qr/decode-sheet-codes';
import { isSurelyBlank, measureRaster } from '../quality/page-quality';
import { hasSheetMarker } from '../sheets/sheet-marker';
import type { RasterizeOptions } from '../rasterize/page-raster';
import { decodeEmbeddedScan, type GrayPixels } from '../rasterize/decode-embedded-scan';
import type { EmbeddedScan } from '../rasterize/pdf-worker';
import { pdfPagesAsImages } from '../rasterize/rasterize-pdf';
import { rasterizeDocument } from '../rasterize/rasterize-document';
import { sharp } from '../rasterize/sharp-settings';

/** One page of a stack as splitting sees it. */
export interface ScannedPage {
  /** From 1. */
  page: number;
  codes: SheetCode[];
  blank: boolean;
  /** Whether the page shows the marker printed along the edges of every medrec sheet (hasSheetMarker), codes or not. */
  sheetMarker: boolean;
  /** The resolution the page was looked at (a scanner's JPEG page: a third of its own). */
  dpi: number;
  /** Time spent decoding codes on this page, ms. */
  decodeMs: number;
  /** Time spent looking for the sheet marker on this page, ms. */
  markerMs: number;
}

/**
 * Every page of a stack, in order, as OCR would see it (one page's pixels at a time), with the QR
 * codes on it, whether it shows the sheet marker (a sheet whose codes are all gone is still a
 * sheet), and whether it is blank (the review queue's measure: surely blank, no ink at all; see
 * isBlank). A PDF's pages come from the PDF worker as OCR's do (pdfPagesAsImages): a page with a
 * text layer is rendered too (a cover sheet sent as a PDF page of its own still has to be seen);
 * a scanner's page arrives as its embedded image, and a JPEG is decoded at a third of its size
 * (reducedJpegGray: half of it in libjpeg's DCT), several times cheaper than the whole page. The
 * record's pages are the scan's own images, untouched; only this look at them is reduced.
 */
export async function* scanStackPages(
  source: string | Buffer,
  contentType: DocumentContentType,
  options: Omit<RasterizeOptions, 'encoding' | 'measureQuality'> = {},
): AsyncGenerator<ScannedPage> {
  if (contentType === 'application/pdf') {
    const maxPixelsPerPage = options.maxPixelsPerPage ?? DEFAULT_INGEST_LIMITS.maxPixelsPerPage;
    const decodeScan = async (scan: EmbeddedScan): Promise<PageToScan> => {
      if (scan.kind === 'jpeg') return reducedJpegGray(scan, maxPixelsPerPage);
      const { gray, width, height, dpi } = await decodeSlots.run(() => decodeEmbeddedScan(scan, maxPixelsPerPage));
      return { page: { gray, width, height }, dpi, reduced: false };
    };
    const rendered = ({ gray, width, height, dpi }: GrayPixels): PageToScan => ({ page: { gray, width, height }, dpi, reduced: false });
    for await (const { page, image } of pdfPagesAsImages(source, options, decodeScan, rendered)) yield scanned(page, image);
    return;
  }
  for await (const raster of rasterizeDocument(source, contentType, { ...options, encoding: 'pgm' })) {
    if (!raster.image) throw new Error(`Page ${raster.page} has no image`);
    yield scanned(raster.page, { page: fromPgm(raster.image.data), dpi: raster.image.dpi, reduced: false });
  }
}

/** A page's grey pixels, at the resolution they are at; `reduced` when decoded at a reduced scale already (the codes are then read as they are, not at half of it). */
interface PageToScan {
  page: GrayPage;
  dpi: number;
  reduced: boolean;
}

async function scanned(page: number, { page: gray, dpi, reduced }: PageToScan): Promise<ScannedPage> {
  const started = performance.now();
  const codes = await (reduced ? decodeReducedPageCodes(gray) : decodeSheetCodes(gray));
  const decodeMs = performance.now() - started;
  const sheetMarker = hasSheetMarker(gray);
  const markerMs = performance.now() - started - decodeMs;
  return { page, codes, dpi, blank: codes.length === 0 && !sheetMarker && (await isBlank(gray, dpi)), sheetMarker, decodeMs, markerMs };
}

/** The least resolution a stack's JPEG page is scanned at for codes, marker and blankness (a code's modules stay >= 4 pixels wide). */
const MIN_SCAN_DPI = 64;

/**
 * A scanner's JPEG as 8-bit grey pixels at a third of its width and height when it was scanned at
 * 192 dpi or more (a code's ~0.067 in modules are then >= 4 pixels), else at half. A third is what
 * libjpeg's scaled IDCT makes cheap here: sharp decodes at half scale in the DCT only when asked to
 * shrink by 3 or more (a shrink by exactly 2 decodes the whole image, then reduces it: ~60 ms a page
 * against ~17). In one of the process's decode slots.
 */
async function reducedJpegGray(scan: Extract<EmbeddedScan, { kind: 'jpeg' }>, maxPixelsPerPage: number): Promise<PageToScan> {
  // The PDF worker checked the JPEG's own size (its SOF header) against the page's and the limits.
  const { bytes, width, height, dpi } = scan;
  return decodeSlots.run(async () => {
    const third = dpi / 3 >= MIN_SCAN_DPI;
    // Floor: the shrink must be >= 3 on both axes for the DCT to do half of it.
    const target = third ? { width: Math.floor(width / 3), height: Math.floor(height / 3) } : { width: Math.ceil(width / 2), height: Math.ceil(height / 2) };
    const { data, info } = await sharp(bytes, { limitInputPixels: maxPixelsPerPage })
      .resize(target.width, target.height, { fit: 'fill', kernel: 'linear' })
      .toColourspace('b-w')
      .extractChannel(0)
      .raw()
      .toBuffer({ resolveWithObject: true });
    return {
      page: { gray: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height },
      dpi: (dpi * info.width) / width,
      reduced: true,
    };
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
