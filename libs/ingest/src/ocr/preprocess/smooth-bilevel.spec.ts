import { encodePbm } from '../netpbm';
import { parsePbmHeader, smoothBilevelPage } from './smooth-bilevel';

/** 0 = ink, 255 = paper, row-major. */
function page(width: number, height: number, ink: Array<[number, number]> = []): Buffer {
  const data = new Uint8Array(width * height).fill(255);
  for (const [x, y] of ink) data[y * width + x] = 0;
  return encodePbm({ data, width, height });
}

function pgmPixels(pgm: Buffer): { width: number; height: number; pixels: Uint8Array } {
  const match = /^P5\n(\d+) (\d+)\n255\n/.exec(pgm.toString('latin1', 0, 32));
  if (!match) throw new Error('not a PGM');
  return { width: Number(match[1]), height: Number(match[2]), pixels: pgm.subarray(match[0].length) };
}

describe('parsePbmHeader', () => {
  it('reads the size and where the pixels start', () => {
    expect(parsePbmHeader(page(13, 4))).toEqual({ width: 13, height: 4, offset: 'P4\n13 4\n'.length });
  });

  it('skips comments and any whitespace between the fields', () => {
    const header = Buffer.from('P4 # made by a scanner\n 9\t\n2\n', 'latin1');
    expect(parsePbmHeader(Buffer.concat([header, Buffer.alloc(4)]))).toEqual({ width: 9, height: 2, offset: header.length });
  });

  it('refuses what is not a whole binary PBM', () => {
    expect(parsePbmHeader(Buffer.from('P5\n4 4\n255\n' + 'x'.repeat(16), 'latin1'))).toBeUndefined();
    expect(parsePbmHeader(Buffer.from('\x89PNG\r\n\x1a\n0000', 'latin1'))).toBeUndefined();
    expect(parsePbmHeader(Buffer.from('P4\n16 4\n\0\0', 'latin1'))).toBeUndefined(); // 2 of 8 pixel bytes
    expect(parsePbmHeader(Buffer.from('P4\n0 4\n', 'latin1'))).toBeUndefined();
    expect(parsePbmHeader(Buffer.from('P4\n4\n', 'latin1'))).toBeUndefined();
  });
});

describe('smoothBilevelPage', () => {
  it('spreads a dot of ink over its neighbours with the binomial 1-2-1 weights in both directions', () => {
    const { width, height, pixels } = pgmPixels(smoothBilevelPage(page(5, 5, [[2, 2]]))!);
    expect([width, height]).toEqual([5, 5]);
    // Ink share in 16ths: 1 2 1 / 2 4 2 / 1 2 1; paper elsewhere.
    const inkSixteenths = [
      [0, 0, 0, 0, 0],
      [0, 1, 2, 1, 0],
      [0, 2, 4, 2, 0],
      [0, 1, 2, 1, 0],
      [0, 0, 0, 0, 0],
    ];
    for (let y = 0; y < 5; y++) for (let x = 0; x < 5; x++) expect(pixels[y * 5 + x]).toBe(255 - Math.round((inkSixteenths[y][x] * 255) / 16));
  });

  it('keeps solid ink black, blank paper white, and the size (width not a multiple of 8)', () => {
    const ink: Array<[number, number]> = [];
    for (let y = 0; y < 7; y++) for (let x = 0; x < 11; x++) ink.push([x, y]);
    const solid = pgmPixels(smoothBilevelPage(page(11, 7, ink))!);
    expect([solid.width, solid.height]).toEqual([11, 7]);
    // Inside: all ink; at an edge of the page, paper beyond it lightens the pixel.
    expect(solid.pixels[3 * 11 + 5]).toBe(0);
    expect(solid.pixels[0]).toBe(255 - Math.round((9 * 255) / 16));
    const blank = pgmPixels(smoothBilevelPage(page(11, 7))!);
    expect([...blank.pixels].every((v) => v === 255)).toBe(true);
  });

  it('treats ink at the last column of a padded row byte as ink, and the padding bits as nothing', () => {
    const width = 9; // one pixel in the second byte of each row, seven padding bits
    const pbm = page(width, 3, [[8, 1]]);
    const rowBytes = 2;
    const offset = parsePbmHeader(pbm)!.offset;
    for (let y = 0; y < 3; y++) pbm[offset + y * rowBytes + 1] |= 0x7f; // set every padding bit
    const { pixels } = pgmPixels(smoothBilevelPage(pbm)!);
    expect(pixels[1 * width + 8]).toBe(255 - Math.round((4 * 255) / 16));
    expect(pixels[1 * width + 7]).toBe(255 - Math.round((2 * 255) / 16));
  });

  it('leaves other formats to tesseract as they are', () => {
    expect(smoothBilevelPage(Buffer.from('P5\n2 2\n255\n\0\0\0\0', 'latin1'))).toBeUndefined();
  });
});
