import type { PageQuality, ReviewThresholds } from '@medrec/domain';
import { sharp } from '../rasterize/sharp-settings';

/** What the raster alone tells (see PageQuality); blank/skewed/dark are decided with the OCR's result. */
export type RasterQuality = Pick<PageQuality, 'inkRatio' | 'grayStdDev' | 'paperLevel' | 'skewDegrees'>;

/** A small grey copy of a page, one byte a pixel. */
export interface PageSample {
  data: Uint8Array;
  width: number;
  height: number;
}

/**
 * The measures are taken on a 75 dpi copy: the scan's own noise (isolated specks) averages out in
 * the shrink, text lines stay ~12 px apart, and every measure costs a few hundred thousand pixels
 * whatever the scan's resolution.
 */
export const SAMPLE_DPI = 75;
/** Share of each side left out: scanner edges, punched holes and shadows are not content. */
const MARGIN = 0.04;
/** A pixel is ink when darker than this share of the paper's level (and 50 levels below it). */
const INK_SHARE_OF_PAPER = 0.6;
/** Fewer ink pixels than this: too little to estimate an angle from. */
const MIN_INK_FOR_SKEW = 300;
const MAX_SKEW_SEARCHED = 8;
/** The skew search looks at this many ink pixels at most (evenly spread). */
const MAX_SKEW_POINTS = 40_000;

/**
 * The raster measures of a page of 8-bit grey pixels at `dpi`: shrunk to SAMPLE_DPI in libvips's
 * threads, then measured (a few milliseconds on the calling thread: see README "Review queue").
 */
export async function measureRaster(gray: Uint8Array, width: number, height: number, dpi: number): Promise<RasterQuality> {
  return measureSample(await pageSample(gray, width, height, dpi));
}

export async function pageSample(gray: Uint8Array, width: number, height: number, dpi: number): Promise<PageSample> {
  const scale = Math.min(1, SAMPLE_DPI / dpi);
  const targetWidth = Math.max(8, Math.round(width * scale));
  const targetHeight = Math.max(8, Math.round(height * scale));
  const { data, info } = await sharp(gray, { raw: { width, height, channels: 1 } })
    .resize(targetWidth, targetHeight, { fit: 'fill', kernel: 'linear' })
    .toColourspace('b-w')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** The measures of a sample (pure, synchronous). */
export function measureSample(sample: PageSample): RasterQuality {
  const { data, width } = sample;
  const x0 = Math.floor(sample.width * MARGIN);
  const x1 = Math.ceil(sample.width * (1 - MARGIN));
  const y0 = Math.floor(sample.height * MARGIN);
  const y1 = Math.ceil(sample.height * (1 - MARGIN));
  const histogram = new Uint32Array(256);
  let sum = 0;
  let sumSquares = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0, i = y * width + x0; x < x1; x++, i++) {
      const v = data[i];
      histogram[v]++;
      sum += v;
      sumSquares += v * v;
    }
  }
  const count = (x1 - x0) * (y1 - y0);
  if (count <= 0) return { inkRatio: 0, grayStdDev: 0, paperLevel: 255, skewDegrees: 0 };
  const mean = sum / count;
  const grayStdDev = Math.sqrt(Math.max(0, sumSquares / count - mean * mean));
  const paperLevel = percentile(histogram, count, 0.9);
  const inkBelow = Math.min(paperLevel * INK_SHARE_OF_PAPER, paperLevel - 50);
  let ink = 0;
  for (let v = 0; v < inkBelow && v < 256; v++) ink += histogram[v];
  const inkRatio = ink / count;
  const skewDegrees = ink < MIN_INK_FOR_SKEW ? 0 : estimateSkew(sample, { x0, x1, y0, y1 }, inkBelow, ink);
  return { inkRatio: round(inkRatio, 5), grayStdDev: round(grayStdDev, 2), paperLevel, skewDegrees: round(skewDegrees, 2) };
}

/**
 * Less ink than this (on the 75 dpi copy, margins left out) is less than two characters of body
 * text: the page is blank without asking OCR. Tesseract on an empty sheet's noise is slow (its
 * thresholding turns the noise into thousands of specks) and reads nothing worth keeping.
 */
export const SURELY_BLANK_INK_RATIO = 0.0001;

export const isSurelyBlank = (raster: RasterQuality): boolean => raster.inkRatio < SURELY_BLANK_INK_RATIO;

/** Decides blank, skewed and dark from the raster measures and what OCR found there. */
export function assessPage(
  raster: RasterQuality,
  ocr: { words: ReadonlyArray<{ text: string; confidence: number }> },
  thresholds: ReviewThresholds,
): PageQuality {
  const blank = raster.inkRatio < thresholds.maxBlankInkRatio && !ocr.words.some(isConfidentWord);
  return {
    ...raster,
    blank,
    skewed: !blank && Math.abs(raster.skewDegrees) > thresholds.maxSkewDegrees,
    dark: raster.paperLevel < thresholds.minPaperLevel,
  };
}

/** A word OCR read with confidence and three letters or digits: what a page with some content has. */
function isConfidentWord(word: { text: string; confidence: number }): boolean {
  return word.confidence >= 60 && (word.text.match(/[\p{L}\p{N}]/gu)?.length ?? 0) >= 3;
}

function percentile(histogram: Uint32Array, count: number, share: number): number {
  const wanted = count * share;
  let seen = 0;
  for (let v = 0; v < 256; v++) {
    seen += histogram[v];
    if (seen >= wanted) return v;
  }
  return 255;
}

/**
 * Projection profile: the ink pixels are projected onto the page's vertical axis turned by each
 * candidate angle; text lines give the sharpest profile (the largest sum of squared bin counts)
 * at their own angle. A coarse pass (1°) then a fine one (0.2°) around the best: 28 projections.
 */
function estimateSkew({ data, width }: PageSample, box: { x0: number; x1: number; y0: number; y1: number }, inkBelow: number, inkCount: number): number {
  const stride = Math.max(1, Math.ceil(inkCount / MAX_SKEW_POINTS));
  const xs = new Float64Array(Math.ceil(inkCount / stride) + 1);
  const ys = new Float64Array(xs.length);
  let points = 0;
  let n = 0;
  const cx = (box.x0 + box.x1) / 2;
  const cy = (box.y0 + box.y1) / 2;
  for (let y = box.y0; y < box.y1; y++) {
    for (let x = box.x0, i = y * width + box.x0; x < box.x1; x++, i++) {
      if (data[i] < inkBelow && n++ % stride === 0 && points < xs.length) {
        xs[points] = x - cx;
        ys[points++] = y - cy;
      }
    }
  }
  const span = Math.ceil(Math.hypot(box.x1 - box.x0, box.y1 - box.y0)) + 2;
  const bins = new Int32Array(span);
  const offset = span / 2;
  const score = (degrees: number): number => {
    const radians = (degrees * Math.PI) / 180;
    const sin = Math.sin(radians);
    const cos = Math.cos(radians);
    bins.fill(0);
    for (let k = 0; k < points; k++) bins[(ys[k] * cos + xs[k] * sin + offset) | 0]++;
    let total = 0;
    for (let b = 0; b < span; b++) total += bins[b] * bins[b];
    return total;
  };
  const best = (from: number, to: number, step: number): number => {
    let bestAngle = 0;
    let bestScore = -1;
    for (let a = from; a <= to + 1e-9; a += step) {
      const s = score(a);
      // Ties go to the angle nearest 0: a page without lines must not look skewed.
      if (s > bestScore || (s === bestScore && Math.abs(a) < Math.abs(bestAngle))) {
        bestScore = s;
        bestAngle = a;
      }
    }
    return bestAngle;
  };
  const coarse = best(-MAX_SKEW_SEARCHED, MAX_SKEW_SEARCHED, 1);
  return best(coarse - 0.6, coarse + 0.6, 0.2);
}

const round = (n: number, digits: number): number => Math.round(n * 10 ** digits) / 10 ** digits;
