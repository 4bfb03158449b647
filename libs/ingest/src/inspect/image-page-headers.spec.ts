import sharp from 'sharp';
import { checkImageHeaders } from './image-page-headers';

const png = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 3, background: '#ffffff' } })
    .png()
    .toBuffer();
const limits = { minPageSidePixels: 16, maxPageAspectRatio: 20, maxPixelsPerPage: 1_000_000 };

describe('checkImageHeaders (inspection and rasterizing)', () => {
  it("returns each page's size and density from the headers", async () => {
    const image = await sharp(await png(300, 200))
      .withMetadata({ density: 300 })
      .png()
      .toBuffer();
    await expect(checkImageHeaders(image, 'image/png', limits)).resolves.toEqual([{ width: 300, height: 200, density: 300 }]);
  });

  it('refuses shapes, pixels, page counts and unreadable headers, each with its reason', async () => {
    await expect(checkImageHeaders(await png(8, 100), 'image/png', limits)).rejects.toMatchObject({ reason: 'page-too-narrow' });
    await expect(checkImageHeaders(await png(2000, 40), 'image/png', limits)).rejects.toMatchObject({ reason: 'page-too-elongated' });
    await expect(checkImageHeaders(await png(1001, 1000), 'image/png', limits)).rejects.toMatchObject({ reason: 'too-many-pixels' });
    await expect(checkImageHeaders(await png(100, 100), 'image/png', { ...limits, maxPages: 0 })).rejects.toMatchObject({ reason: 'too-many-pages' });
    await expect(checkImageHeaders(Buffer.from('\x89PNG\r\n\x1a\nnot really'), 'image/png', limits)).rejects.toMatchObject({ reason: 'corrupt' });
  });
});
