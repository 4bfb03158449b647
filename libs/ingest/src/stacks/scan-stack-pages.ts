import type { SheetCode } from '@medrec/domain';
import type { DocumentContentType } from '../inspect/document-content-type';
import { decodeSheetCodes, type GrayPage } from '../qr/decode-sheet-codes';
import { isSurelyBlank, measureRaster, type RasterQuality } from '../quality/page-quality';
import type { RasterizeOptions } from '../rasterize/page-raster';
import { rasterizeDocument } from '../rasterize/rasterize-document';
import { rasterizePage } from '../rasterize/rasterize-page';
import { sharp } from '../rasterize/sharp-settings';

/** One page of a stack as splitting sees it. */
export interface ScannedPage {
  /** From 1. */
  page: number;
  codes: SheetCode[];
  blank: boolean;
  quality: RasterQuality;
  /** Time spent decoding codes on this page, ms. */
  decodeMs: number;
}

/**
 * Every page of a stack, in order, rasterized as OCR rasterizes it (one page's pixels at a time, at
 * the scan's own resolution), with the QR codes on it and whether it is blank (the review queue's
 * measure: surely blank, no ink at all). A PDF page with a text layer is rendered too: a cover sheet
 * sent as a PDF page of its own still has to be seen.
 */
export async function* scanStackPages(
  source: string | Buffer,
  contentType: DocumentContentType,
  options: Omit<RasterizeOptions, 'encoding' | 'measureQuality'> = {},
): AsyncGenerator<ScannedPage> {
  for await (const raster of rasterizeDocument(source, contentType, { ...options, encoding: 'pgm', measureQuality: true })) {
    let gray: GrayPage;
    let quality: RasterQuality;
    if (raster.image) {
      gray = fromPgm(raster.image.data);
      quality = raster.image.quality ?? (await measureRaster(gray.gray, gray.width, gray.height, raster.image.dpi));
    } else {
      const rendered = await rasterizePage(source, contentType, raster.page, options);
      if (!rendered) throw new Error(`Page ${raster.page} could not be rendered`);
      const { data, info } = await sharp(rendered.png).toColourspace('b-w').extractChannel(0).raw().toBuffer({ resolveWithObject: true });
      gray = { gray: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
      quality = await measureRaster(gray.gray, gray.width, gray.height, rendered.dpi);
    }
    const started = performance.now();
    const codes = await decodeSheetCodes(gray);
    const decodeMs = performance.now() - started;
    yield { page: raster.page, codes, blank: codes.length === 0 && isSurelyBlank(quality), quality, decodeMs };
  }
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
