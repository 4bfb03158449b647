import { encodeBilevelPbm, encodePbm, encodePgm } from './netpbm';

/** The bits one by one, as the format defines them: rows padded to whole bytes, 1 = ink. */
function referencePbm(data: Uint8Array, width: number, height: number, threshold = 128): Buffer {
  const rowBytes = Math.ceil(width / 8);
  const bits = Buffer.alloc(rowBytes * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) if (data[y * width + x] < threshold) bits[y * rowBytes + (x >> 3)] |= 0x80 >> (x & 7);
  return Buffer.concat([Buffer.from(`P4\n${width} ${height}\n`), bits]);
}

/** Mostly paper (runs of white), with ink and, at `greyShare`, pixels in between. */
function page(width: number, height: number, greyShare: number, seed: number): Uint8Array {
  let state = seed;
  const random = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const data = new Uint8Array(width * height).fill(255);
  for (let i = 0; i < data.length; i++) {
    const r = random();
    if (r < 0.15) data[i] = 0;
    else if (r < 0.15 + greyShare) data[i] = Math.floor(random() * 254) + 1;
  }
  return data;
}

describe('netpbm', () => {
  it.each([
    [1, 1],
    [7, 3],
    [8, 2],
    [13, 5],
    [64, 4],
    [1742, 3],
  ])('packs a %ix%i page bit for bit as the format says, whatever the width', (width, height) => {
    const data = page(width, height, 0.2, width * 31 + height);
    expect(encodePbm({ data, width, height }).equals(referencePbm(data, width, height))).toBe(true);
    expect(encodePbm({ data, width, height }, 60).equals(referencePbm(data, width, height, 60))).toBe(true);
  });

  it('packs a bilevel page, and gives up on one with more grey pixels than allowed', () => {
    const width = 301;
    const height = 40;
    const clean = page(width, height, 0, 7);
    clean[5] = 128;
    clean[width * 20 + 300] = 3;
    expect(encodeBilevelPbm({ data: clean, width, height }, 2)?.equals(referencePbm(clean, width, height))).toBe(true);
    expect(encodeBilevelPbm({ data: clean, width, height }, 1)).toBeUndefined();
    expect(encodeBilevelPbm({ data: page(width, height, 0.01, 9), width, height }, 12)).toBeUndefined();
  });

  it('refuses pixels that do not match the size', () => {
    expect(() => encodePbm({ data: new Uint8Array(10), width: 3, height: 3 })).toThrow(RangeError);
    expect(() => encodePgm({ data: new Uint8Array(10), width: 3, height: 3 })).toThrow(RangeError);
  });
});
