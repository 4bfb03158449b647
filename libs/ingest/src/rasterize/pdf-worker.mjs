// Worker-thread entry for everything pdf.js does (inspection and rendering), so that parsing and
// painting a large PDF never blocks the API's event loop, and a PDF that exhausts memory takes
// down this thread, not the process. Plain ESM: worker threads run real Node, not jest's transform.
//
// Protocol (pdf-worker.ts holds the TypeScript side). One document at a time; a thread that ended
// a document cleanly may be given the next one (loading pdf.js costs more than most pages do):
//   in:  { type: 'open', source: { path } | { data: Uint8Array }, maxPixelsPerPage, maxPages?, vectorDpi, minPageSidePixels, maxPageAspectRatio }  (no reply)
//   in:  { type: 'inspect' }  -> { type: 'inspected', pages, textLayerPages, embeddedScans }
//   in:  { type: 'next' }     -> { type: 'page', page, textLayer } | { type: 'page', page, image: { gray, width, height, dpi } }
//                                | { type: 'page', page, scan } | { type: 'end' }
//   in:  { type: 'render', page, pdfjs? } -> { type: 'page', page, image: { gray, width, height, dpi } } | { type: 'page', page, scan }
//        | { type: 'end' } (no such page): page `page` alone, rendered even when it has a text layer (the page
//        images shown to users), at the resolution `next` renders an image page at: its scan's own, else
//        vectorDpi; with `pdfjs`, rendered by pdf.js even when it is an embedded scan
//   in:  { type: 'close' }    -> { type: 'closed', heapBytes } (the document is destroyed)
//   any: -> { type: 'refused', reason } | { type: 'failed', name, message }
// When every page of the PDF is one scan drawn 1:1 over it (scanned-pages.mjs), pdf.js is not loaded:
// inspection answers from the structure (`embeddedScans: true`), and pages are handed over as their
// embedded images, `scan`: { kind: 'jpeg', bytes, width, height, channels, dpi } or
// { kind: 'ccitt', bytes, width, height, blackIs1, dpi } (Group 4), for the caller to decode.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { getHeapStatistics } from 'node:v8';
import { parentPort } from 'node:worker_threads';
import { pageShapeProblem, paintedImages, planPage, textOf } from './pdf-page-plan.mjs';
import { scannedPages } from './scanned-pages.mjs';

// pdf.js reports through the console ("Warning: ..." on console.warn, infos on console.log). Keep
// its warnings for the checks below and print nothing: they may quote strings from the document.
const warnings = [];
console.warn = (...parts) => {
  const line = parts.map(String).join(' ');
  if (line.startsWith('Warning: ') && warnings.length < 1000) warnings.push(line);
};
console.log = console.info = console.error = () => {};
// Nor anything written directly: the parent does not read this thread's stdio (reading it would keep
// the process alive while the thread waits idle for its next document).
process.stdout.write = process.stderr.write = () => true;

// pdf.js and the canvas are loaded on first use: a thread that only hands over embedded scans never
// pays for them (~45 MB of heap and native memory).
let pdfjs;
let createCanvas;
async function loadPdfjs() {
  pdfjs ??= await import('pdfjs-dist/legacy/build/pdf.mjs');
  createCanvas ??= (await import('@napi-rs/canvas')).createCanvas;
}

const pdfjsRoot = dirname(createRequire(import.meta.url).resolve('pdfjs-dist/package.json'));
const assetDir = (name) => join(pdfjsRoot, name) + '/';
const OVERSIZED_IMAGE_WARNING = 'Image exceeded maximum allowed size';

class Refusal extends Error {
  constructor(reason) {
    super(reason);
    this.reason = reason;
  }
}

/** The document being worked on: its source and limits, and once opened, the pdf.js document. */
let current;

function openDocument() {
  if (!current) throw new Error('No document is open');
  const { source, maxPixelsPerPage } = current;
  current.opened ??= (async () => {
    await loadPdfjs();
    // pdf.js may take the buffer it is given: the embedded scans' bytes must stay readable.
    const data = source.data ? (current.hasScans ? source.data.slice() : source.data) : new Uint8Array(await readFile(source.path));
    let loadingTask;
    try {
      loadingTask = pdfjs.getDocument({
        data,
        // pdf.js refuses to decode any image larger than a page may be (a bomb inside a PDF).
        maxImageSize: maxPixelsPerPage,
        isEvalSupported: false,
        enableXfa: false,
        useSystemFonts: false,
        disableFontFace: true,
        isOffscreenCanvasSupported: false,
        isImageDecoderSupported: false,
        // Nothing is ever fetched: fonts, character maps, colour profiles and decoders come from
        // pdfjs-dist's own folders on disk.
        useWorkerFetch: false,
        cMapUrl: assetDir('cmaps'),
        cMapPacked: true,
        standardFontDataUrl: assetDir('standard_fonts'),
        wasmUrl: assetDir('wasm'),
        iccUrl: assetDir('iccs'),
        verbosity: pdfjs.VerbosityLevel.WARNINGS,
      });
      return await loadingTask.promise;
    } catch (error) {
      await loadingTask?.destroy().catch(() => undefined);
      throw new Refusal(error?.name === 'PasswordException' ? 'encrypted' : 'corrupt');
    }
  })();
  return current.opened;
}

async function documentWithPages() {
  const document = await openDocument();
  if (document.numPages < 1) throw new Refusal('corrupt');
  if (current.maxPages !== undefined && document.numPages > current.maxPages) throw new Refusal('too-many-pages');
  return document;
}

/**
 * Loads a page and decides what it needs: its own text layer, or rendering at a given size. With
 * `render`, a page with a text layer is planned as if it had none: rendered at the resolution of
 * the scan it shows, else at vectorDpi, as every page without a text layer is.
 */
async function planOf(document, pageNumber, { render = false } = {}) {
  let page, operatorList, textContent;
  warnings.length = 0;
  try {
    page = await document.getPage(pageNumber);
  } catch {
    throw new Refusal('corrupt');
  }
  // The page's shape from its box alone (points), before its content is parsed: a 1 x 14,400 pt
  // strip is refused whatever it shows. Its narrow side is checked in pixels once the resolution is known.
  const [x0, y0, x1, y1] = page.view;
  const { minPageSidePixels, maxPageAspectRatio } = current;
  const boxProblem = pageShapeProblem(Math.abs(x1 - x0), Math.abs(y1 - y0), 0, maxPageAspectRatio);
  if (boxProblem) throw new Refusal(boxProblem);
  try {
    operatorList = await page.getOperatorList();
    textContent = render ? { items: [] } : await page.getTextContent();
  } catch {
    throw new Refusal('corrupt');
  }
  if (warnings.some((warning) => warning.includes(OVERSIZED_IMAGE_WARNING))) throw new Refusal('too-many-pixels');
  const { maxPixelsPerPage, vectorDpi } = current;
  const plan = planPage({ page, images: paintedImages(operatorList, pdfjs.OPS), text: textOf(textContent), vectorDpi });
  if (plan.textLayer !== undefined) return { page, textLayer: plan.textLayer };
  const viewport = page.getViewport({ scale: plan.dpi / 72 });
  const width = Math.max(1, Math.round(viewport.width));
  const height = Math.max(1, Math.round(viewport.height));
  const shapeProblem = pageShapeProblem(width, height, minPageSidePixels, maxPageAspectRatio);
  if (shapeProblem) throw new Refusal(shapeProblem);
  if (width * height > maxPixelsPerPage) throw new Refusal('too-many-pixels');
  return { page, render: { viewport, width, height, dpi: plan.dpi } };
}

/**
 * The document's pages as embedded scans (scanned-pages.mjs), parsed once; undefined when they are
 * not all scans drawn 1:1 (pdf.js then does everything). Refuses too many pages from the page tree's count.
 */
async function embeddedScans() {
  current.scanned ??= (async () => {
    const data = current.source.data ?? new Uint8Array(await readFile(current.source.path));
    return scannedPages(data, { maxPages: current.maxPages });
  })();
  const scanned = await current.scanned;
  if (scanned?.refusal) throw new Refusal(scanned.refusal);
  current.hasScans = scanned !== undefined;
  return scanned?.pages;
}

/** The checks planOf makes on a page pdf.js loaded, in the same order, on an embedded scan drawn 1:1. */
function checkScan({ box, image }) {
  const { maxPixelsPerPage, minPageSidePixels, maxPageAspectRatio } = current;
  const boxProblem = pageShapeProblem(box.width, box.height, 0, maxPageAspectRatio);
  if (boxProblem) throw new Refusal(boxProblem);
  if (image.width * image.height > maxPixelsPerPage) throw new Refusal('too-many-pixels');
  const shapeProblem = pageShapeProblem(image.width, image.height, minPageSidePixels, maxPageAspectRatio);
  if (shapeProblem) throw new Refusal(shapeProblem);
}

function scanReply(pageNumber, scan) {
  checkScan(scan);
  const { bytes, ...image } = scan.image;
  const copy = bytes.slice();
  return [{ type: 'page', page: pageNumber, scan: { ...image, bytes: copy } }, [copy.buffer]];
}

async function inspect() {
  const scans = await embeddedScans();
  if (scans) {
    for (const scan of scans) checkScan(scan);
    return [{ type: 'inspected', pages: scans.length, textLayerPages: 0, embeddedScans: true }];
  }
  const document = await documentWithPages();
  let textLayerPages = 0;
  for (let pageNumber = 1; pageNumber <= document.numPages; pageNumber++) {
    const { page, textLayer } = await planOf(document, pageNumber);
    if (textLayer !== undefined) textLayerPages++;
    page.cleanup();
  }
  return [{ type: 'inspected', pages: document.numPages, textLayerPages, embeddedScans: false }];
}

async function next() {
  const scans = await embeddedScans();
  if (scans) {
    if (current.nextPage > scans.length) return [{ type: 'end' }];
    const pageNumber = current.nextPage++;
    return scanReply(pageNumber, scans[pageNumber - 1]);
  }
  const document = await documentWithPages();
  if (current.nextPage > document.numPages) return [{ type: 'end' }];
  const pageNumber = current.nextPage++;
  const { page, textLayer, render } = await planOf(document, pageNumber);
  try {
    if (textLayer !== undefined) return [{ type: 'page', page: pageNumber, textLayer }];
    return await paint(page, pageNumber, render);
  } finally {
    page.cleanup();
  }
}

/** Page `pageNumber` alone, as an image whatever it holds; no other page is rendered. */
async function renderOne(pageNumber, { pdfjs: forcePdfjs = false } = {}) {
  const scans = await embeddedScans();
  if (scans && !forcePdfjs) {
    if (!Number.isInteger(pageNumber) || pageNumber < 1 || pageNumber > scans.length) return [{ type: 'end' }];
    return scanReply(pageNumber, scans[pageNumber - 1]);
  }
  const document = await documentWithPages();
  if (!Number.isInteger(pageNumber) || pageNumber < 1 || pageNumber > document.numPages) return [{ type: 'end' }];
  const { page, render } = await planOf(document, pageNumber, { render: true });
  try {
    return await paint(page, pageNumber, render);
  } finally {
    page.cleanup();
  }
}

async function paint(page, pageNumber, { viewport, width, height, dpi }) {
  const canvas = createCanvas(width, height);
  try {
    const canvasContext = canvas.getContext('2d');
    await page.render({ canvas, canvasContext, viewport, background: 'white' }).promise;
    const gray = toGray(canvas.data(), width * height);
    return [{ type: 'page', page: pageNumber, image: { gray, width, height, dpi } }, [gray.buffer]];
  } finally {
    // The canvas's pixels (4 bytes a pixel: 15 MB for a 200 dpi letter page) are native memory
    // the garbage collector does not see: left to it, a thread rendering page after page grew
    // by ~30 MB a page until a collection. A zero-sized canvas frees them at once.
    canvas.width = 0;
    canvas.height = 0;
  }
}

/** RGBA (opaque: pdf.js paints a white background first) to 8-bit luma, ITU-R BT.601 weights. */
function toGray(rgba, pixels) {
  const gray = new Uint8Array(pixels);
  for (let i = 0, j = 0; j < pixels; i += 4, j++) {
    gray[j] = (rgba[i] * 77 + rgba[i + 1] * 150 + rgba[i + 2] * 29) >> 8;
  }
  return gray;
}

/** Ends the document (whether or not it was opened, read whole, or refused) and reports the heap left. */
async function close() {
  const opened = current?.opened;
  current = undefined;
  const document = await opened?.catch(() => undefined);
  await document?.destroy();
  return [{ type: 'closed', heapBytes: getHeapStatistics().total_heap_size }];
}

async function handle(request) {
  if (request.type === 'open') {
    const { source, maxPixelsPerPage, maxPages, vectorDpi, minPageSidePixels, maxPageAspectRatio } = request;
    current = { source, maxPixelsPerPage, maxPages, vectorDpi, minPageSidePixels, maxPageAspectRatio, nextPage: 1 };
    return;
  }
  try {
    const [reply, transfer] = await answer(request);
    parentPort.postMessage(reply, transfer ?? []);
  } catch (error) {
    if (error instanceof Refusal) parentPort.postMessage({ type: 'refused', reason: error.reason });
    else parentPort.postMessage({ type: 'failed', name: error?.name ?? 'Error', message: String(error?.message ?? error) });
  }
}

function answer(request) {
  switch (request.type) {
    case 'inspect':
      return inspect();
    case 'close':
      return close();
    case 'render':
      return renderOne(request.page, { pdfjs: request.pdfjs === true });
    default:
      return next();
  }
}

let queue = Promise.resolve();
parentPort.on('message', (request) => {
  queue = queue.then(() => handle(request));
});
