import sharp from 'sharp';
import { crc32 } from 'node:zlib';
import type { RasterEncoding } from './page-raster';

/** Encodes 8-bit grayscale pixels (one byte a pixel, rows top to bottom) for OCR, recording the dpi in PNGs. */
export async function encodeGray(gray: Buffer, width: number, height: number, dpi: number, encoding: RasterEncoding): Promise<Buffer> {
  if (gray.length !== width * height) throw new Error(`Expected ${width * height} grayscale bytes, got ${gray.length}`);
  if (encoding === 'pgm') return Buffer.concat([Buffer.from(`P5\n${width} ${height}\n255\n`, 'ascii'), gray]);
  const png = await sharp(gray, { raw: { width, height, channels: 1 } }).toColourspace('b-w').png().toBuffer();
  return withResolution(png, dpi);
}

const PNG_SIGNATURE_BYTES = 8;
const IHDR_CHUNK_BYTES = 4 + 4 + 13 + 4;

/**
 * Adds a pHYs chunk (the resolution, which tesseract reads) right after IHDR. sharp only writes
 * one through withMetadata(), which also converts to an sRGB profile: three channels instead of one.
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
  const split = PNG_SIGNATURE_BYTES + IHDR_CHUNK_BYTES;
  return Buffer.concat([png.subarray(0, split), chunk, png.subarray(split)]);
}
