import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { fixtureScanPages, LETTER, scannerStack, standardStackCoverSheets, type StackPage } from '../../../../test/support/scanner-stack';
import { planStackSplit } from '@medrec/domain';
import { decodeSheetCodes, type GrayPage } from '../qr/decode-sheet-codes';
import { hasSheetMarker } from './sheet-marker';

/** A page through a JPEG encoder at `quality` and back, as a grey scanner writes it. */
async function jpegged(page: GrayPage, quality: number): Promise<GrayPage> {
  const jpeg = await sharp(page.gray, { raw: { width: page.width, height: page.height, channels: 1 } })
    .jpeg({ quality })
    .toBuffer();
  const { data, info } = await sharp(jpeg).toColourspace('b-w').extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  return { gray: new Uint8Array(data), width: info.width, height: info.height };
}

const upsideDown = (page: GrayPage): GrayPage => ({ ...page, gray: Uint8Array.from(page.gray).reverse() });

/** The page turned 90° clockwise: a sheet fed sideways (landscape, the ruler down its left and right edges). */
function sideways({ gray, width, height }: GrayPage): GrayPage {
  const turned = new Uint8Array(gray.length);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) turned[x * height + (height - 1 - y)] = gray[y * width + x];
  return { gray: turned, width: height, height: width };
}
const turned270 = (page: GrayPage): GrayPage => upsideDown(sideways(page));

/** The page with its top `share` torn off (white). */
function torn(page: GrayPage, share: number): GrayPage {
  const gray = new Uint8Array(page.gray);
  gray.fill(255, 0, Math.round(page.height * share) * page.width);
  return { ...page, gray };
}

describe('hasSheetMarker (the ruler printed along the top and bottom edges of every medrec sheet, found at the sides on a sheet fed sideways)', () => {
  let sheets: StackPage[];

  beforeAll(() => {
    const [first, second] = standardStackCoverSheets().map((details) => ({ id: randomUUID(), ...details }));
    sheets = [{ kind: 'cover-sheet', sheet: first }, { kind: 'separator' }, { kind: 'cover-sheet', sheet: second, obliterated: 'both' }];
  });

  it.each([-2, -1, 0, 1, 2])(
    'finds it on cover and separator sheets scanned at 200 dpi with a %d° skew and noise',
    async (skewDegrees) => {
      const stack = await scannerStack(sheets, { skewDegrees, noise: 0.01, seed: 20 + skewDegrees });
      expect(stack.images.map(hasSheetMarker)).toEqual([true, true, true]);
    },
    30_000,
  );

  it('finds it on a black-and-white scan, a strongly compressed JPEG, a sheet fed upside down, and a sheet torn across its top', async () => {
    const bilevel = await scannerStack(sheets, { bilevel: true, skewDegrees: -2, seed: 5 });
    expect(bilevel.images.map(hasSheetMarker)).toEqual([true, true, true]);
    const grey = await scannerStack(sheets, { skewDegrees: 2, seed: 6 });
    for (const image of grey.images) {
      expect(hasSheetMarker(await jpegged(image, 40))).toBe(true);
      expect(hasSheetMarker(upsideDown(image))).toBe(true);
      expect(hasSheetMarker(torn(image, 0.2))).toBe(true);
    }
  }, 30_000);

  it.each([
    ['90°', sideways],
    ['270°', turned270],
  ])(
    'finds it on sheets fed sideways (turned %s), grey, black and white, and torn across one end',
    async (_turn, turn) => {
      const grey = await scannerStack(sheets, { skewDegrees: 1, noise: 0.01, seed: 7 });
      const bilevel = await scannerStack(sheets, { bilevel: true, skewDegrees: -1, seed: 8 });
      for (const image of [...grey.images, ...bilevel.images]) {
        const page = turn(image);
        expect(page.width).toBeGreaterThan(page.height);
        expect(hasSheetMarker(page)).toBe(true);
        expect(hasSheetMarker(turn(torn(image, 0.2)))).toBe(true);
      }
    },
    30_000,
  );

  it('sends a sideways sheet with both codes gone to review, with the pages behind it: its marker found, no code, never a page of the document before it', async () => {
    const [first] = standardStackCoverSheets().map((details) => ({ id: randomUUID(), ...details }));
    const scans = fixtureScanPages();
    const stack = await scannerStack([{ kind: 'cover-sheet', sheet: first }, scans[0], sheets[2], scans[1]], { seed: 9 });
    const pages = await Promise.all(
      stack.images.map(async (image, i) => {
        const page = i === 2 ? sideways(image) : image;
        return { codes: await decodeSheetCodes(page), blank: false, sheetMarker: hasSheetMarker(page) };
      }),
    );
    expect(pages[2]).toEqual({ codes: [], blank: false, sheetMarker: true });
    const plan = planStackSplit(pages, () => 'issued');
    expect(plan.documents).toEqual([{ coverSheetId: first.id, part: 1, pages: [2] }]);
    expect(plan.reviews).toEqual([{ kind: 'unreadable-code', pageRange: { first: 3, last: 4 } }]);
  }, 30_000);

  it('finds none on any page of the fixture scans, on blank pages, or in noise; and costs a few ms a page', async () => {
    const pages = fixtureScanPages();
    const stack = await scannerStack([...pages, { kind: 'blank' }, { kind: 'blank' }], { noise: 0.03 });
    const started = performance.now();
    const found = stack.images.map(hasSheetMarker);
    const msPerPage = (performance.now() - started) / stack.images.length;
    expect(found.flatMap((marked, i) => (marked ? [stack.pages[i]] : []))).toEqual([]);
    expect(pages.length).toBeGreaterThan(15);
    // Nor on them turned sideways (their rows then measured against the page's longer side).
    expect(stack.images.flatMap((image, i) => (hasSheetMarker(sideways(image)) || hasSheetMarker(turned270(image)) ? [stack.pages[i]] : []))).toEqual([]);
    const noise = Uint8Array.from({ length: LETTER.width * LETTER.height }, (_, i) => ((i * 2654435761) >>> 24) & 0xff);
    expect(hasSheetMarker({ gray: noise, ...LETTER })).toBe(false);
    expect(hasSheetMarker({ gray: new Uint8Array(LETTER.width * LETTER.height), ...LETTER })).toBe(false);
    process.stdout.write(`sheet marker: ${msPerPage.toFixed(2)} ms per page over ${stack.images.length} pages without one\n`);
    expect(msPerPage).toBeLessThan(50);
  }, 60_000);

  it('finds none on a page of dashes, a dashed rule, or a barcode-like pattern of the wrong proportions', () => {
    const page = (draw: (x: number, y: number) => boolean): GrayPage => {
      const gray = new Uint8Array(LETTER.width * LETTER.height).fill(255);
      for (let y = 0; y < LETTER.height; y++) for (let x = 0; x < LETTER.width; x++) if (draw(x, y)) gray[y * LETTER.width + x] = 0;
      return { gray, ...LETTER };
    };
    // A dashed rule of the ruler's own period, 3 pixels thick: a line, not a bar.
    expect(hasSheetMarker(page((x, y) => y >= 80 && y < 83 && x % 100 < 67))).toBe(false);
    // Equal blocks and gaps (half ink), and blocks twice the ruler's period: the wrong ruler.
    expect(hasSheetMarker(page((x, y) => y >= 60 && y < 110 && x % 100 < 50))).toBe(false);
    expect(hasSheetMarker(page((x, y) => y >= 60 && y < 110 && x % 200 < 133))).toBe(false);
    // The ruler itself, drawn straight: found (the three above are not found for their shape alone).
    expect(hasSheetMarker(page((x, y) => y >= 60 && y < 110 && x > 120 && x < 1580 && x % 100 < 67))).toBe(true);
  });

  it('refuses pixels that do not match the page size', () => {
    expect(() => hasSheetMarker({ gray: new Uint8Array(10), width: 4, height: 4 })).toThrow(/grayscale bytes/);
  });
});
