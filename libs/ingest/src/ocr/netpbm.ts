/**
 * Netpbm encoders for handing a rasterized page to the OCR pool: the cheapest formats to produce
 * (a header in front of the pixels) that tesseract's image library reads. Use PBM for bilevel
 * sources (CCITT G4 PDF images, 1-bit TIFF/PNG): it is 8x smaller than PGM and tesseract skips
 * thresholding; use PGM for greyscale sources (JPEG, rendered PDF pages), so that tesseract's own
 * thresholding decides what is ink.
 */

export interface GreyPixels {
  /** One byte per pixel, row-major, 0 = black. */
  data: Uint8Array;
  width: number;
  height: number;
}

function checkSize({ data, width, height }: GreyPixels): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) throw new RangeError('invalid image size');
  if (data.length !== width * height) throw new RangeError('pixel buffer does not match the image size');
}

/** Binary PGM (P5), 8-bit greyscale. */
export function encodePgm(pixels: GreyPixels): Buffer {
  checkSize(pixels);
  const header = Buffer.from(`P5\n${pixels.width} ${pixels.height}\n255\n`, 'ascii');
  return Buffer.concat([header, pixels.data]);
}

/** Binary PBM (P4), 1 bit per pixel: a pixel darker than `threshold` is ink. */
export function encodePbm(pixels: GreyPixels, threshold = 128): Buffer {
  return packPbm(pixels, threshold, Infinity)!;
}

/**
 * PBM of a page that is bilevel already: undefined as soon as more than `maxGrey` pixels are
 * neither pure black (0) nor pure white (255). One pass for the test and the packing.
 */
export function encodeBilevelPbm(pixels: GreyPixels, maxGrey: number): Buffer | undefined {
  return packPbm(pixels, 128, maxGrey);
}

function packPbm(pixels: GreyPixels, threshold: number, maxGrey: number): Buffer | undefined {
  checkSize(pixels);
  const { data, width, height } = pixels;
  const header = Buffer.from(`P4\n${width} ${height}\n`, 'ascii');
  const rowBytes = (width + 7) >> 3;
  const out = Buffer.alloc(header.length + rowBytes * height);
  header.copy(out);
  const wholeBytes = width >> 3;
  let grey = 0;
  let source = 0;
  let target = header.length;
  for (let y = 0; y < height; y++) {
    for (let i = 0; i < wholeBytes; i++, source += 8, target++) {
      // Most of a scanned page is paper: eight white pixels are a zero byte (out is zero-filled).
      if (
        (data[source] & data[source + 1] & data[source + 2] & data[source + 3] & data[source + 4] & data[source + 5] & data[source + 6] & data[source + 7]) ===
        255
      ) {
        continue;
      }
      let byte = 0;
      for (let bit = 0; bit < 8; bit++) {
        const value = data[source + bit];
        if (value < threshold) byte |= 0x80 >> bit;
        if (value !== 0 && value !== 255 && ++grey > maxGrey) return undefined;
      }
      out[target] = byte;
    }
    if (wholeBytes * 8 < width) {
      let byte = 0;
      for (let bit = 0; bit < width - wholeBytes * 8; bit++, source++) {
        const value = data[source];
        if (value < threshold) byte |= 0x80 >> bit;
        if (value !== 0 && value !== 255 && ++grey > maxGrey) return undefined;
      }
      out[target++] = byte;
    }
  }
  return out;
}
