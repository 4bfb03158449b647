import { sharp } from './sharp-settings';
import { crc32 } from 'node:zlib';
import { encodeBilevelPbm, encodePgm } from '../ocr/netpbm';
import type { RasterEncoding } from './page-raster';

/**
 * Encodes 8-bit grayscale pixels (one byte a pixel, rows top to bottom) for OCR. `auto` (the
 * default) hands bilevel pages (most scans: CCITT G4, 1-bit TIFF) over as PBM — 8x smaller than
 * PGM, trivial to write and to read, and tesseract skips thresholding — and greyscale pages as a
 * fast PNG, so that tesseract's own thresholding decides what is ink (measured: thresholding a
 * blurred JPEG ourselves tripled its error rate).
 */
export async function encodeGray(gray: Buffer, width: number, height: number, dpi: number, encoding: RasterEncoding): Promise<Buffer> {
  if (gray.length !== width * height) throw new Error(`Expected ${width * height} grayscale bytes, got ${gray.length}`);
  if (encoding === 'pgm') return encodePgm({ data: gray, width, height });
  // Bilevel: at most 1 pixel in 1000 neither black nor white.
  const pbm = encoding === 'auto' ? encodeBilevelPbm({ data: gray, width, height }, Math.floor(gray.length / 1000)) : undefined;
  if (pbm) return pbm;
  const png = await sharp(gray, { raw: { width, height, channels: 1 } })
    .toColourspace('b-w')
    .png({ compressionLevel: 1 })
    .toBuffer();
  return withResolution(png, dpi);
}

const PNG_SIGNATURE_BYTES = 8;
const IHDR_CHUNK_BYTES = 4 + 4 + 13 + 4;

/**
 * Sets the pHYs chunk (the resolution, which tesseract reads) to `dpi`: in place when sharp wrote
 * one (its default density; a second chunk made libpng warn "pHYs: duplicate" on every page), else
 * inserted right after IHDR. sharp only sets the density through withMetadata(), which also
 * converts to an sRGB profile: three channels instead of one.
 */
function withResolution(png: Buffer, dpi: number): Buffer {
  const pixelsPerMetre = Math.round(dpi / 0.0254);
  const chunk = Buffer.alloc(4 + 4 + 9 + 4);
  chunk.writeUInt32BE(9, 0);
  chunk.write('pHYs', 4, 'ascii');
  chunk.writeUInt32BE(pixelsPerMetre, 8);
  chunk.writeUInt32BE(pixelsPerMetre, 12);
  chunk.writeUInt8(1, 16); // unit: metre
  chunk.writeUInt32BE(crc32(chunk.subarray(4, 17)), 17);
  const existing = findChunk(png, 'pHYs');
  if (existing !== undefined && png.readUInt32BE(existing) === 9) {
    chunk.copy(png, existing);
    return png;
  }
  const split = PNG_SIGNATURE_BYTES + IHDR_CHUNK_BYTES;
  return Buffer.concat([png.subarray(0, split), chunk, png.subarray(split)]);
}

/** Offset of the first chunk of `type` before the image data, if any. */
function findChunk(png: Buffer, type: string): number | undefined {
  for (let offset = PNG_SIGNATURE_BYTES; offset + 8 <= png.length;) {
    const length = png.readUInt32BE(offset);
    const name = png.toString('ascii', offset + 4, offset + 8);
    if (name === type) return offset;
    if (name === 'IDAT' || name === 'IEND') return undefined;
    offset += 4 + 4 + length + 4;
  }
  return undefined;
}
