import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { DEFAULT_REVIEW_THRESHOLDS } from '@medrec/domain';
import type { DocumentContentType } from '../inspect/document-content-type';
import { rasterizeDocument } from '../rasterize/rasterize-document';
import { assessPage, isSurelyBlank, measureRaster, RasterQuality } from './page-quality';

const SCANS = join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'scans');
const CONTENT_TYPES: Record<string, DocumentContentType> = { pdf: 'application/pdf', tif: 'image/tiff', png: 'image/png', jpg: 'image/jpeg' };
const NO_WORDS = { words: [] };

/** Every page of the fixture scans with its raster measures, as the OCR pipeline takes them. */
async function fixturePages(): Promise<Array<{ name: string; quality: RasterQuality }>> {
  const manifest: Array<{ file: string }> = JSON.parse(readFileSync(join(SCANS, 'manifest.json'), 'utf8'));
  const pages: Array<{ name: string; quality: RasterQuality }> = [];
  for (const { file } of manifest) {
    for await (const raster of rasterizeDocument(join(SCANS, file), CONTENT_TYPES[file.split('.').pop()!], { measureQuality: true })) {
      pages.push({ name: `${file} p${raster.page}`, quality: raster.image!.quality! });
    }
  }
  return pages;
}

/** The grey pixels of a fixture page (its first), for variations of it. */
async function fixtureGray(file: string): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(join(SCANS, file)).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** A seeded generator: the noisy page is the same on every run. */
function random(seed: number): () => number {
  let state = seed;
  return () => (state = (state * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
}

let noisyBlank: { data: Buffer; width: number; height: number } | undefined;

/** An empty US letter page at 200 dpi as a scanner gives it: grey paper with noise, specks and a dark scanner edge. */
function noisyBlankPage(): { data: Buffer; width: number; height: number } {
  if (noisyBlank) return noisyBlank;
  const width = 1700;
  const height = 2200;
  const next = random(42);
  const data = Buffer.alloc(width * height);
  for (let i = 0; i < data.length; i++) data[i] = 232 + Math.round((next() - 0.5) * 40); // ±20 levels
  for (let speck = 0; speck < 3000; speck++) data[Math.floor(next() * data.length)] = 0;
  for (let y = 0; y < height; y++) data.fill(20, y * width, y * width + 25); // the scanner's edge shadow
  return (noisyBlank = { data, width, height });
}

describe('page quality', () => {
  let fixtures: Array<{ name: string; quality: RasterQuality }>;
  beforeAll(async () => {
    fixtures = await fixturePages();
  });

  it('flags no page of the fixture scans as blank, skewed or dark, whatever their degradation', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(16);
    expect(fixtures.filter(({ quality }) => isSurelyBlank(quality))).toEqual([]);
    const flagged = fixtures
      .map(({ name, quality }) => ({ name, quality, assessed: assessPage(quality, NO_WORDS, DEFAULT_REVIEW_THRESHOLDS) }))
      .filter(({ assessed }) => assessed.blank || assessed.skewed || assessed.dark);
    expect(flagged).toEqual([]);
  });

  it('flags a noisy empty page as blank (no ink once the noise is averaged out)', async () => {
    const page = noisyBlankPage();
    const quality = await measureRaster(page.data, page.width, page.height, 200);
    expect(quality.inkRatio).toBeLessThan(DEFAULT_REVIEW_THRESHOLDS.maxBlankInkRatio);
    expect(isSurelyBlank(quality)).toBe(true);
    expect(assessPage(quality, NO_WORDS, DEFAULT_REVIEW_THRESHOLDS)).toMatchObject({ blank: true, skewed: false, dark: false });
  });

  it('does not call a nearly empty page blank when OCR read a word on it', async () => {
    const page = noisyBlankPage();
    const quality = await measureRaster(page.data, page.width, page.height, 200);
    const words = [{ text: 'Page', confidence: 91 }];
    expect(assessPage(quality, { words }, DEFAULT_REVIEW_THRESHOLDS).blank).toBe(false);
  });

  it('measures a page turned by 3° as skewed, in either direction, and the same page upright as not', async () => {
    // Scanned with a 0.3° skew of its own.
    const page = await fixtureGray('mrn-00482913-discharge-summary.tif');
    const upright = await measureRaster(page.data, page.width, page.height, 200);
    expect(Math.abs(upright.skewDegrees)).toBeLessThan(0.6);
    expect(assessPage(upright, NO_WORDS, DEFAULT_REVIEW_THRESHOLDS).skewed).toBe(false);
    for (const angle of [3, -3]) {
      const turned = await sharp(page.data, { raw: { width: page.width, height: page.height, channels: 1 } })
        .rotate(angle, { background: '#ffffff' })
        .toColourspace('b-w')
        .raw()
        .toBuffer({ resolveWithObject: true });
      const quality = await measureRaster(turned.data, turned.info.width, turned.info.height, 200);
      // sharp turns clockwise: the lines then fall to the right.
      expect(Math.abs(quality.skewDegrees - (upright.skewDegrees - angle))).toBeLessThanOrEqual(0.3);
      expect(assessPage(quality, NO_WORDS, DEFAULT_REVIEW_THRESHOLDS)).toMatchObject({ skewed: true, blank: false });
    }
  });

  it('measures a page scanned too dark as dark, and its text still as ink', async () => {
    const page = await fixtureGray('mrn-00482913-progress-note.jpg');
    const dark = Buffer.from(page.data.map((v) => Math.round(v * 0.35)));
    const quality = await measureRaster(dark, page.width, page.height, 200);
    expect(quality.paperLevel).toBeLessThan(DEFAULT_REVIEW_THRESHOLDS.minPaperLevel);
    expect(assessPage(quality, NO_WORDS, DEFAULT_REVIEW_THRESHOLDS)).toMatchObject({ dark: true, blank: false });
  });

  it('costs a few milliseconds a page (reported, not asserted tightly: the machine is shared)', async () => {
    const page = await fixtureGray('mrn-00482913-radiology-report.png');
    const runs = 10;
    const started = process.hrtime.bigint();
    for (let i = 0; i < runs; i++) await measureRaster(page.data, page.width, page.height, 200);
    const ms = Number(process.hrtime.bigint() - started) / 1e6 / runs;
    console.log(
      `page quality: ${ms.toFixed(1)} ms a page (${page.width} x ${page.height}); fixtures: ${JSON.stringify(fixtures.map((f) => [f.name, f.quality]))}`,
    );
    expect(ms).toBeLessThan(500);
  });
});
