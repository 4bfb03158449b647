// Plain ESM (no TypeScript): loaded by pdf-worker.mjs inside a worker thread, which runs real Node
// rather than jest's transform. Pure functions over pdf.js results: which pages keep their own text
// layer, and the resolution a page must be rendered at to match the scan inside it.

/** Letters and digits a text layer needs before it counts as the page's text. */
const MIN_TEXT_CHARS = 20;
/**
 * Over a page-covering image (a scan), a short text layer is a stamp or a header added later,
 * not the page's text: such pages are OCR'd whole. A scanner's own OCR layer is far longer.
 */
const MIN_TEXT_CHARS_OVER_SCAN = 200;
/** Share of the page an image must cover to be taken as the page's scan. */
const SCAN_COVERAGE = 0.5;
/** Share of the page an image must cover for its resolution to set the page's. */
const RESOLUTION_COVERAGE = 0.1;
/** Above this share of unmappable glyphs (U+FFFD, private use, controls) a text layer is garbage. */
const MAX_GARBAGE_SHARE = 0.1;

const IDENTITY = [1, 0, 0, 1, 0, 0];

/** m x n, n applied first (the PDF/canvas `cm` convention). */
function multiply(m, n) {
  return [
    m[0] * n[0] + m[2] * n[1],
    m[1] * n[0] + m[3] * n[1],
    m[0] * n[2] + m[2] * n[3],
    m[1] * n[2] + m[3] * n[3],
    m[0] * n[4] + m[2] * n[5] + m[4],
    m[1] * n[4] + m[3] * n[5] + m[5],
  ];
}

/**
 * The images a page paints, with their pixel size and where they land (in user space units):
 * follows the current transformation matrix through save/restore, `cm` and form XObjects.
 * Images inside annotations (stamps, signatures) are left out: they are not the page's scan.
 */
export function paintedImages(operatorList, OPS) {
  const images = [];
  const stack = [];
  let ctm = IDENTITY;
  let annotationDepth = 0;
  const add = (width, height, matrix) => {
    if (annotationDepth > 0 || !(width > 0) || !(height > 0)) return;
    const shownWidth = Math.hypot(matrix[0], matrix[1]);
    const shownHeight = Math.hypot(matrix[2], matrix[3]);
    if (shownWidth < 1e-3 || shownHeight < 1e-3) return;
    images.push({ width, height, shownWidth, shownHeight, shownArea: Math.abs(matrix[0] * matrix[3] - matrix[1] * matrix[2]) });
  };
  const { fnArray, argsArray } = operatorList;
  for (let i = 0; i < fnArray.length; i++) {
    const args = argsArray[i];
    switch (fnArray[i]) {
      case OPS.save:
        stack.push(ctm);
        break;
      case OPS.restore:
        ctm = stack.pop() ?? IDENTITY;
        break;
      case OPS.transform:
        ctm = multiply(ctm, args);
        break;
      case OPS.paintFormXObjectBegin:
        stack.push(ctm);
        if (args[0]) ctm = multiply(ctm, Array.from(args[0]));
        break;
      case OPS.paintFormXObjectEnd:
        ctm = stack.pop() ?? IDENTITY;
        break;
      case OPS.beginAnnotation:
        annotationDepth++;
        break;
      case OPS.endAnnotation:
        annotationDepth = Math.max(0, annotationDepth - 1);
        break;
      case OPS.paintImageXObject:
        add(args[1], args[2], ctm);
        break;
      case OPS.paintInlineImageXObject:
      case OPS.paintImageMaskXObject:
        add(args[0]?.width, args[0]?.height, ctm);
        break;
      case OPS.paintImageMaskXObjectGroup:
        for (const image of args[0] ?? []) add(image.width, image.height, multiply(ctm, image.transform));
        break;
      default:
        break;
    }
  }
  return images;
}

/** The page's text layer as lines of text (pdf.js marks line ends with hasEOL). */
export function textOf(textContent) {
  let text = '';
  for (const item of textContent.items) {
    if (typeof item.str !== 'string') continue;
    text += item.str;
    if (item.hasEOL) text += '\n';
  }
  return text
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

function looksMeaningful(text, overScan) {
  const letters = text.match(/[\p{L}\p{N}]/gu)?.length ?? 0;
  const visible = text.replace(/\s+/g, '').length;
  const garbage = text.match(/[\uFFFD\p{Co}\p{Cc}]/gu)?.filter((c) => c !== '\n' && c !== '\t').length ?? 0;
  if (visible === 0 || garbage / visible > MAX_GARBAGE_SHARE) return false;
  return letters >= (overScan ? MIN_TEXT_CHARS_OVER_SCAN : MIN_TEXT_CHARS);
}

/**
 * What to do with one page: keep its text layer, or render it at the native resolution of the
 * largest image it shows (a scanned page rendered at its scan's own dpi), or at `vectorDpi` when
 * it shows no image large enough to carry a resolution.
 *
 * @param page {{ view: number[], userUnit: number }} the pdf.js page
 * @returns {{ textLayer: string } | { dpi: number }}
 */
export function planPage({ page, images, text, vectorDpi }) {
  const [x0, y0, x1, y1] = page.view;
  const pageArea = Math.abs((x1 - x0) * (y1 - y0));
  const largest = images.reduce((best, image) => (!best || image.width * image.height > best.width * best.height ? image : best), undefined);
  const coverage = largest && pageArea > 0 ? largest.shownArea / pageArea : 0;
  if (looksMeaningful(text, coverage >= SCAN_COVERAGE)) return { textLayer: text };
  if (!largest || coverage < RESOLUTION_COVERAGE) return { dpi: vectorDpi };
  const userUnit = page.userUnit || 1;
  const dpiAcross = (largest.width * 72) / (largest.shownWidth * userUnit);
  const dpiDown = (largest.height * 72) / (largest.shownHeight * userUnit);
  // A non-square scan (fax: 204 x 98 dpi) renders at its finer resolution: nothing is lost.
  return { dpi: Math.max(1, Math.round(Math.max(dpiAcross, dpiDown))) };
}

/**
 * The same rule as page-shape.ts (which the TypeScript side uses for images; this thread runs plain
 * ESM): 'page-too-narrow' when a side is under `minSide`, 'page-too-elongated' when the longer side
 * is more than `maxAspect` times the shorter, else undefined.
 */
export function pageShapeProblem(width, height, minSide, maxAspect) {
  const shortest = Math.min(width, height);
  const longest = Math.max(width, height);
  if (shortest < minSide) return 'page-too-narrow';
  if (longest > shortest * maxAspect) return 'page-too-elongated';
  return undefined;
}
