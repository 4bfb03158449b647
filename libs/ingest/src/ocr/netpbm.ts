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
  checkSize(pixels);
  const { data, width, height } = pixels;
  const header = Buffer.from(`P4\n${width} ${height}\n`, 'ascii');
  const rowBytes = (width + 7) >> 3;
  const out = Buffer.alloc(header.length + rowBytes * height);
  header.copy(out);
  let source = 0;
  for (let y = 0; y < height; y++) {
    let target = header.length + y * rowBytes;
    for (let x = 0; x < width; x += 8) {
      let byte = 0;
      const end = Math.min(8, width - x);
      for (let bit = 0; bit < end; bit++) if (data[source + bit] < threshold) byte |= 0x80 >> bit;
      out[target++] = byte;
      source += end;
    }
  }
  return out;
}
