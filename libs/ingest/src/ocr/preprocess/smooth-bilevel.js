'use strict';
/*
 * OCR input preprocessing for bilevel pages, run in the OCR thread (plain JavaScript: thread
 * entries are loaded by Node without the TypeScript toolchain).
 *
 * tesseract's LSTM recognizer reads each text line from the greyscale image when it has one; a
 * bilevel page (CCITT G4 PDF images, 1-bit TIFF and PNG scans: most scans) gives it only hard,
 * staircase edges, unlike the anti-aliased text it was trained on. A light separable smoothing
 * (binomial 1-2-1, about a Gaussian of sigma 0.85 px) turns the page into greyscale with soft edges:
 * on the shared fixture set the mean CER fell from 0.277% to 0.19% (bench/ocr-tuning). Stronger
 * smoothing (sigma >= 1.2) blurs strokes together and reads worse; greyscale pages (JPEG scans)
 * already have soft edges and read worse when smoothed again, so they are left alone.
 * The geometry is unchanged: word boxes stay in the page's own pixels.
 */

/**
 * 1-2-1 sums of the eight pixels of a PBM byte, indexed by (bit before << 9 | byte << 1 | bit after) * 8 + pixel:
 * a row's horizontal pass is then a table look-up per pixel.
 */
const HORIZONTAL = (() => {
  const table = new Uint8Array(1024 * 8);
  for (let bits = 0; bits < 1024; bits++) {
    // bit 9 = the pixel before, bits 8..1 = the byte's pixels left to right, bit 0 = the pixel after.
    const pixel = (k) => (bits >> (9 - k)) & 1; // k = 0 before, 1..8 the byte, 9 after
    for (let k = 1; k <= 8; k++) table[bits * 8 + k - 1] = pixel(k - 1) + 2 * pixel(k) + pixel(k + 1);
  }
  return table;
})();

/**
 * Width, height and pixel offset of a binary PBM (P4), or undefined when `image` is not one.
 * Header: "P4", whitespace, width, whitespace, height, one whitespace; '#' comments to the end of a line.
 */
function parsePbmHeader(image) {
  if (image.length < 8 || image[0] !== 0x50 || image[1] !== 0x34) return undefined;
  const numbers = [];
  let i = 2;
  while (numbers.length < 2) {
    // Whitespace and comments before each number.
    for (;;) {
      if (i >= image.length) return undefined;
      const c = image[i];
      if (c === 0x23) {
        while (i < image.length && image[i] !== 0x0a) i++;
      } else if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
      else break;
    }
    let value = 0;
    let digits = 0;
    while (i < image.length && image[i] >= 0x30 && image[i] <= 0x39 && digits < 9) {
      value = value * 10 + (image[i] - 0x30);
      i++;
      digits++;
    }
    if (digits === 0) return undefined;
    numbers.push(value);
  }
  // Exactly one whitespace byte ends the header.
  if (i >= image.length || !(image[i] === 0x20 || image[i] === 0x09 || image[i] === 0x0a || image[i] === 0x0d)) return undefined;
  const [width, height] = numbers;
  const offset = i + 1;
  if (width < 1 || height < 1 || image.length < offset + ((width + 7) >> 3) * height) return undefined;
  return { width, height, offset };
}

/**
 * The page smoothed for OCR as an 8-bit PGM (P5) of the same size, or undefined when `image` is not
 * a PBM (greyscale and colour pages are handed to tesseract as they are).
 */
function smoothBilevelPage(image) {
  const header = parsePbmHeader(image);
  if (!header) return undefined;
  const { width, height, offset } = header;
  const rowBytes = (width + 7) >> 3;
  const pgmHeader = Buffer.from(`P5\n${width} ${height}\n255\n`, 'ascii');
  const out = Buffer.allocUnsafe(pgmHeader.length + width * height);
  pgmHeader.copy(out, 0);

  // Horizontal pass of three consecutive rows kept in a ring: ink = 1, paper = 0; 1-2-1 weights,
  // paper beyond the edges. Each value is 0..4. Rows without ink (most of a page) are skipped.
  const rows = [new Uint8Array(width), new Uint8Array(width), new Uint8Array(width)];
  const blank = [true, true, true];
  const lastByteMask = (0xff00 >> (width - (rowBytes - 1) * 8)) & 0xff;
  const horizontal = (y, slot) => {
    const target = rows[slot];
    const start = offset + y * rowBytes;
    let any = false;
    if (y >= 0 && y < height) {
      for (let i = start; i < start + rowBytes; i++) {
        if (image[i] !== 0) {
          any = true;
          break;
        }
      }
    }
    blank[slot] = !any;
    if (!any) {
      target.fill(0);
      return;
    }
    // Eight pixels at a time, from the byte and the bits either side of it (paper past the edges;
    // the padding bits of a row's last byte are not pixels, whatever the writer left in them).
    let x = 0;
    for (let i = 0; i < rowBytes; i++) {
      const previous = i > 0 ? image[start + i - 1] & 1 : 0;
      const next = i + 1 < rowBytes ? image[start + i + 1] >> 7 : 0;
      const byte = i + 1 < rowBytes ? image[start + i] : image[start + i] & lastByteMask;
      const sums = (previous << 9) | (byte << 1) | next;
      const base = sums * 8;
      const end = Math.min(8, width - x);
      for (let k = 0; k < end; k++) target[x++] = HORIZONTAL[base + k];
    }
  };
  horizontal(-1, 0);
  horizontal(0, 1);
  let target = pgmHeader.length;
  for (let y = 0; y < height; y++) {
    const [above, current, below] = [y % 3, (y + 1) % 3, (y + 2) % 3];
    horizontal(y + 1, below);
    if (blank[above] && blank[current] && blank[below]) {
      out.fill(255, target, target + width);
      target += width;
      continue;
    }
    const a = rows[above];
    const c = rows[current];
    const b = rows[below];
    for (let x = 0; x < width; x++) {
      // 0..16 parts ink out of 16, to 255 (paper) .. 0 (ink).
      out[target++] = 255 - (((a[x] + 2 * c[x] + b[x]) * 255 + 8) >> 4);
    }
  }
  return out;
}

module.exports = { parsePbmHeader, smoothBilevelPage };
