import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { bilevelTiff, blankJpeg, grayPng } from '../../../../test/support/hostile-images';
import { readImageHeader } from './image-header';

const SCANS = join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'scans');
const TYPES = { png: 'image/png', jpg: 'image/jpeg', tif: 'image/tiff' } as const;

describe('readImageHeader', () => {
  it.each(readdirSync(SCANS).filter((f) => /\.(png|jpg|tif)$/.test(f)))('reads the page sizes libvips reads, for %s', async (file) => {
    const path = join(SCANS, file);
    const meta = await sharp(path).metadata();
    const expected = await Promise.all(
      Array.from({ length: meta.pages ?? 1 }, async (_, page) => {
        const { width, height } = await sharp(path, { page }).metadata();
        return { width, height };
      }),
    );
    const type = TYPES[file.split('.').pop() as keyof typeof TYPES];
    expect(await readImageHeader(path, type, 500)).toEqual(expected);
    expect(await readImageHeader(readFileSync(path), type, 500)).toEqual(expected);
  });

  it('reads generated files of every shape, from a buffer, reading no further than maxPages directories', async () => {
    expect(await readImageHeader(grayPng(16, 40), 'image/png', 1)).toEqual([{ width: 16, height: 40 }]);
    expect(await readImageHeader(blankJpeg(65_500, 8), 'image/jpeg', 1)).toEqual([{ width: 65_500, height: 8 }]);
    const tiff = bilevelTiff([
      { width: 100, height: 200 },
      { width: 1, height: 5_000_000 },
      { width: 3, height: 4 },
    ]);
    expect(await readImageHeader(tiff, 'image/tiff', 10)).toEqual([
      { width: 100, height: 200 },
      { width: 1, height: 5_000_000 },
      { width: 3, height: 4 },
    ]);
    expect(await readImageHeader(tiff, 'image/tiff', 2)).toHaveLength(2);
  });

  it('gives up (undefined) on headers it cannot read, leaving them to libvips', async () => {
    expect(await readImageHeader(Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), 'image/png', 1)).toBeUndefined();
    expect(await readImageHeader(Buffer.from([0xff, 0xd8, 0xff, 0xda, 0, 2]), 'image/jpeg', 1)).toBeUndefined();
    const looping = bilevelTiff([{ width: 100, height: 200 }]);
    const ifd = looping.readUInt32LE(4);
    looping.writeUInt32LE(ifd, ifd + 2 + looping.readUInt16LE(ifd) * 12); // the IFD points to itself
    expect(await readImageHeader(looping, 'image/tiff', 500)).toBeUndefined();
    const bigTiff = Buffer.from([0x49, 0x49, 43, 0, 8, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0]);
    expect(await readImageHeader(bigTiff, 'image/tiff', 500)).toBeUndefined();
  });
});
