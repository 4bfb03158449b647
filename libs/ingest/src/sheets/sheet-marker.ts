import type { GrayPage } from '../qr/decode-sheet-codes';

/**
 * The sheet marker: a "ruler" of equal black blocks printed along the top and the bottom edge of
 * every medrec sheet (cover and separator), so that a sheet is recognised as one even when both of
 * its QR codes are gone (torn off, inked over, soaked): such a page must go to review, never join
 * the document before it. Printed by sheetsPdf, found by hasSheetMarker.
 *
 * In points on the US Letter sheet: MARKER_BLOCKS blocks BLOCK wide, GAP apart (a period of half an
 * inch, two thirds of it ink), BAR tall. The ruler is symmetric, so a sheet fed upside down shows it too.
 */
export const SHEET_MARKER = {
  blocks: 15,
  block: 24,
  gap: 12,
  bar: 18,
  /** From the top of the page to the top bar, and from the bottom bar to the bottom of the page. */
  edge: 18,
  pageWidth: 612,
} as const;

const PERIOD = SHEET_MARKER.block + SHEET_MARKER.gap;
/** The ruler's length in points, and where it starts (centred). */
export const MARKER_LENGTH = SHEET_MARKER.blocks * PERIOD - SHEET_MARKER.gap;
export const MARKER_LEFT = (SHEET_MARKER.pageWidth - MARKER_LENGTH) / 2;

/** Blocks in a row that make a ruler: about half of it, so that a torn corner or a stain at one end still leaves one. */
const MIN_BLOCKS = 7;
/** Rows (of those looked at, every ROW_STEP) that must show a ruler: a dashed rule one line thick is not a bar. */
const MIN_ROWS = 4;
const ROW_STEP = 2;
/** The share of the page searched at each edge, of its height at the top and bottom, of its width at the sides (the bars are ~0.25 to 0.5 in from the edge). */
const BAND = 0.12;
/** A period may be this much off the printed one: A4 "fit to page" printing, scanner scaling. */
const PERIOD_TOLERANCE = 0.25;
/** Each block and gap may be this much off the row's own median: blur, JPEG and bilevel thresholds move edges. */
const RUN_TOLERANCE = 0.35;

/**
 * Whether the page shows a sheet marker in its top or bottom band or, on a landscape page (a sheet
 * fed sideways: turned 90° either way, the ruler running down it), in its left or right band. One
 * band is enough: a stain or a tear rarely takes both. Scale comes from the side the ruler runs
 * along, the sheet's width (a sheet is US Letter; any resolution): the page's width for the top and
 * bottom, its height for the sides. A row counts when it has at least MIN_BLOCKS consecutive dark
 * runs of the ruler's period, each dark run and each gap close to the row's median and the two near
 * the ruler's 2:1 proportion; the marker is found when MIN_ROWS rows of one band count (at the
 * sides, columns: the same sampling, every ROW_STEP-th). Specks of a few pixels are absorbed into
 * the runs around them. A portrait page (a sheet fed upright or upside down, and nearly every page
 * of a stack) costs what it did, about a quarter of it read every ROW_STEP rows: a few ms. The
 * sides are read on landscape pages only: a sheet turned on a portrait page would not fit on it,
 * and columns cost more than rows (a cache line a pixel).
 */
export function hasSheetMarker(page: GrayPage): boolean {
  const { width, height } = page;
  if (page.gray.length !== width * height) throw new Error(`Expected ${width * height} grayscale bytes, got ${page.gray.length}`);
  const runs = new Int32Array(Math.max(width, height) + 1);
  const rows = Math.max(1, Math.round(height * BAND));
  // A row y is the line from y * width, one pixel apart; a column x the line from x, `width` apart.
  const across = { stride: width, step: 1, length: width };
  if (bandHasRuler(page, across, 0, rows, runs) || bandHasRuler(page, across, height - rows, height, runs)) return true;
  if (width <= height) return false;
  const columns = Math.max(1, Math.round(width * BAND));
  const down = { stride: 1, step: width, length: height };
  return bandHasRuler(page, down, 0, columns, runs) || bandHasRuler(page, down, width - columns, width, runs);
}

/** Lines of the page: line `i` is `length` pixels, `step` apart, from `i * stride`. */
interface Lines {
  stride: number;
  step: number;
  length: number;
}

function bandHasRuler(page: GrayPage, lines: Lines, from: number, to: number, runs: Int32Array): boolean {
  // The ruler runs along the line: the sheet's width is the line's length.
  const period = (lines.length * PERIOD) / SHEET_MARKER.pageWidth;
  // Runs shorter than this are specks (or a pixel of blur), merged into their neighbours.
  const speck = Math.max(1, Math.round(period / 25));
  let found = 0;
  for (let i = from; i < to; i += ROW_STEP) {
    const count = lineRuns(page.gray, i * lines.stride, lines.step, lines.length, speck, runs);
    if (rowHasRuler(runs, count, period) && ++found >= MIN_ROWS) return true;
  }
  return false;
}

/**
 * The line's runs of light and dark (under 128) pixels, alternating, light first (0 long if the line
 * starts dark), into `runs`; a run shorter than `speck` between two others is merged with both
 * (they are of one colour). Returns how many.
 */
function lineRuns(gray: Uint8Array, first: number, step: number, pixels: number, speck: number, runs: Int32Array): number {
  let count = 0;
  let dark = false;
  let length = 0;
  let pending = -1; // a speck's length, waiting for the run after it
  const close = () => {
    if (pending >= 0) {
      runs[count - 1] += pending + length;
      pending = -1;
    } else if (length < speck && count > 0) pending = length;
    else runs[count++] = length;
  };
  for (let x = 0, at = first; x < pixels; x++, at += step) {
    const isDark = gray[at] < 128;
    if (isDark === dark) {
      length++;
      continue;
    }
    if (count === 0 && length === 0) runs[count++] = 0;
    else close();
    dark = isDark;
    length = 1;
  }
  close();
  // A speck at the very end stays a run of its own.
  if (pending >= 0) runs[count++] = pending;
  return count;
}

/** Whether the runs (light first) hold MIN_BLOCKS consecutive blocks of the ruler's proportions. */
function rowHasRuler(runs: Int32Array, count: number, period: number): boolean {
  const block = (period * SHEET_MARKER.block) / PERIOD;
  const gap = (period * SHEET_MARKER.gap) / PERIOD;
  const loose = PERIOD_TOLERANCE + RUN_TOLERANCE;
  const fits = (length: number, expected: number) => Math.abs(length - expected) <= expected * loose;
  // Dark runs are at odd indices: a chain of them grows while each block, and the gap before it, fit loosely.
  let chain: number[] = [];
  for (let i = 1; i < count; i += 2) {
    if (!fits(runs[i], block)) {
      chain = [];
      continue;
    }
    if (chain.length > 0 && !fits(runs[i - 1], gap)) chain = [];
    chain.push(i);
    if (chain.length >= MIN_BLOCKS && isRegular(runs, chain.slice(-MIN_BLOCKS), period)) return true;
  }
  return false;
}

/** Whether the blocks (dark run indices) and the gaps between them are regular: each near their median, the period near the ruler's. */
function isRegular(runs: Int32Array, blocks: number[], period: number): boolean {
  const darks = blocks.map((i) => runs[i]);
  const gaps = blocks.slice(1).map((i) => runs[i - 1]);
  const darkMedian = median(darks);
  const gapMedian = median(gaps);
  const near = (values: number[], m: number) => values.every((v) => Math.abs(v - m) <= m * RUN_TOLERANCE);
  if (!near(darks, darkMedian) || !near(gaps, gapMedian)) return false;
  const measured = darkMedian + gapMedian;
  if (Math.abs(measured - period) > period * PERIOD_TOLERANCE) return false;
  // Two thirds ink: a threshold moves both edges of a block the same way, so the proportion is kept loosely.
  const duty = darkMedian / measured;
  return duty > 0.56 && duty < 0.78;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}
