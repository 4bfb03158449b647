import { createHash } from 'node:crypto';
import PDFDocument from 'pdfkit';
import sharp from 'sharp';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { SheetCode } from '@medrec/domain';
import type { DocumentContentType } from '@medrec/ingest/inspect/document-content-type';
import type { GrayPage } from '@medrec/ingest/qr';
import { rasterizePage } from '@medrec/ingest/rasterize/rasterize-page';
import { type PrintedCoverSheet, QR_BOXES, sheetsPdf } from '@medrec/ingest/sheets/sheets-pdf';

/** The shared fixture scans, found from the sources or from their build in dist/ (benches run there). */
const SCANS = resolve(__dirname, __dirname.includes('/dist/') ? '../../../test/fixtures/scans' : '../fixtures/scans');

interface ScanFixture {
  file: string;
  mrn: string;
  patient: string;
  dob: string;
  type: string;
  pages: number;
}

const scanManifest = (): ScanFixture[] => JSON.parse(readFileSync(join(SCANS, 'manifest.json'), 'utf8')) as ScanFixture[];

/**
 * Stacks of paper as a production scanner writes them, for the stacks tests and bench: cover
 * sheets printed by medrec's own cover-sheet PDF code (or the PDF the API answered), rasterized
 * at 200 dpi with a slight skew and specks of noise, between pages of the shared fixture scans, in
 * one PDF (a JPEG a page) and one multi-page TIFF (deflate), every page US Letter at 200 dpi.
 */

/** One sheet of paper in the stack. */
export type StackPage =
  /**
   * `pdf`: the sheet as the API printed it (page `pdfPage`, default 1); else printed here. `damaged`:
   * a stain over each of its two QR codes (found, unreadable). `obliterated`: its upper code ('one')
   * or both codes ('both') painted over with solid boxes (black over the upper, white over the lower): no code found at all.
   */
  | { kind: 'cover-sheet'; sheet: PrintedCoverSheet; pdf?: Buffer; pdfPage?: number; damaged?: boolean; obliterated?: Obliteration }
  | { kind: 'separator' }
  | { kind: 'blank' }
  /** Page `page` (from 1) of a fixture scan in test/fixtures/scans. */
  | { kind: 'scan'; file: string; page: number };

/** Which of a sheet's two QR codes are painted over. */
export type Obliteration = 'one' | 'both';

export interface StackOptions {
  /** Degrees clockwise, on the printed sheets (cover, separator, blank). Default 1. */
  skewDegrees?: number;
  /** Share of the sheets' pixels turned into specks of dust. Default 0.003. */
  noise?: number;
  /** The noise is the same for the same seed. Default 16. */
  seed?: number;
  /**
   * Black and white, as most production scanners write: every page thresholded, the TIFF in CCITT
   * Group 4 and the PDF's images 1-bit PNGs (flate). Default false: grey, the PDF's pages JPEG and the TIFF deflate.
   */
  bilevel?: boolean;
}

export interface ScannerStack {
  pages: StackPage[];
  /**
   * What decoding each page must give: a cover sheet's id, the separator, nothing on a document
   * page, and on a damaged cover sheet a code that is found but unreadable (never an id).
   */
  expectedCodes: SheetCode[][];
  /** Whether each page is a medrec sheet, whose printed marker must be found (cover and separator sheets). */
  expectedMarkers: boolean[];
  /** The pixels of every page as generated, before the PDF's JPEG and the TIFF's deflate. */
  images: GrayPage[];
  /** The stack as one PDF, a page image each (made on first call). */
  pdf(): Promise<Buffer>;
  /** The stack as one multi-page TIFF (made on first call). */
  tiff(): Promise<Buffer>;
}

export const STACK_DPI = 200;
export const LETTER = { width: 1700, height: 2200 } as const;

const CONTENT_TYPES: Record<string, DocumentContentType> = { pdf: 'application/pdf', tif: 'image/tiff', png: 'image/png', jpg: 'image/jpeg' };

/** The details of the cover sheets of standardStackPlan, in stack order (patients and types of the fixture scans). */
export function standardStackCoverSheets(): Array<Omit<PrintedCoverSheet, 'id'>> {
  const fixture = (file: string) => scanManifest().find((s) => s.file === file)!;
  return ['mrn-00482913-discharge-summary.tif', 'mrn-00519377-operative-report.png', 'mrn-00600218-lab-report.pdf', 'mrn-00519377-progress-note.tif'].map(
    (file) => {
      const scan = fixture(file);
      return { mrn: scan.mrn, patientName: scan.patient, dateOfBirth: scan.dob, documentType: scan.type, title: `${scan.type.replace(/-/g, ' ')} (scanned)` };
    },
  );
}

/**
 * The stack of the issue: two pages before the first cover sheet (orphans), four cover sheets
 * (standardStackCoverSheets, given here with their ids), one separator between two documents
 * of the first patient, and one blank page inside the first document. 14 sheets:
 *
 *   1-2 orphans (MRN-00733105's nursing notes and authorization) | 3 cover A (MRN-00482913) |
 *   4-5 discharge summary | 6 blank | 7 separator | 8 radiology report (A) | 9 cover B (MRN-00519377) |
 *   10 operative report | 11 cover C (MRN-00600218) | 12 lab report | 13 cover D (MRN-00519377) |
 *   14 progress note
 *
 * `damaged`: cover sheet B's two QR codes are stained beyond repair. `obliterated`: one or both of
 * B's codes are painted over.
 */
export function standardStackPlan(sheets: PrintedCoverSheet[], options: { damaged?: boolean; obliterated?: Obliteration; pdfs?: Buffer[] } = {}): StackPage[] {
  if (sheets.length !== 4) throw new Error('The standard stack has four cover sheets (standardStackCoverSheets)');
  const cover = (i: number, hurt = false): StackPage => ({
    kind: 'cover-sheet',
    sheet: sheets[i],
    ...(options.pdfs ? { pdf: options.pdfs[i] } : {}),
    ...(hurt && options.damaged ? { damaged: true } : {}),
    ...(hurt && options.obliterated ? { obliterated: options.obliterated } : {}),
  });
  const scan = (file: string, page = 1): StackPage => ({ kind: 'scan', file, page });
  return [
    scan('mrn-00733105-nursing-notes.tif'),
    scan('mrn-00733105-authorization.png'),
    cover(0),
    scan('mrn-00482913-discharge-summary.tif', 1),
    scan('mrn-00482913-discharge-summary.tif', 2),
    { kind: 'blank' },
    { kind: 'separator' },
    scan('mrn-00482913-radiology-report.png'),
    cover(1, true),
    scan('mrn-00519377-operative-report.png'),
    cover(2),
    scan('mrn-00600218-lab-report.pdf'),
    cover(3),
    scan('mrn-00519377-progress-note.tif'),
  ];
}

/** Every page of every shared fixture scan, in the manifest's order: the documents a longer stack (a bench's) cycles through. */
export function fixtureScanPages(): Array<Extract<StackPage, { kind: 'scan' }>> {
  return scanManifest().flatMap((scan) => Array.from({ length: scan.pages }, (_, i) => ({ kind: 'scan' as const, file: scan.file, page: i + 1 })));
}

/** The codes decoding `page` must give (see ScannerStack.expectedCodes): a sheet prints its code twice. */
export function expectedCodes(page: StackPage): SheetCode[] {
  if (page.kind === 'separator') return [{ kind: 'separator' }, { kind: 'separator' }];
  if (page.kind !== 'cover-sheet') return [];
  const code: SheetCode = page.damaged ? { kind: 'unknown' } : { kind: 'cover-sheet', id: page.sheet.id };
  return Array.from({ length: page.obliterated === 'both' ? 0 : page.obliterated === 'one' ? 1 : 2 }, () => ({ ...code }));
}

export async function scannerStack(pages: StackPage[], options: StackOptions = {}): Promise<ScannerStack> {
  const random = mulberry32(options.seed ?? 16);
  const printed = { skew: options.skewDegrees ?? 1, noise: options.noise ?? 0.003, random };
  const images: GrayPage[] = [];
  for (const page of pages) images.push(await pageImage(page, printed));
  if (options.bilevel) for (const image of images) threshold(image);
  const bilevel = options.bilevel ?? false;
  return {
    pages,
    expectedCodes: pages.map(expectedCodes),
    expectedMarkers: pages.map((p) => p.kind === 'cover-sheet' || p.kind === 'separator'),
    images,
    pdf: once(() => imagesPdf(images, bilevel)),
    tiff: once(() => imagesTiff(images, bilevel)),
  };
}

/** Ink or paper: what a black-and-white scanner keeps of a page. */
function threshold(image: GrayPage): void {
  const { gray } = image;
  for (let i = 0; i < gray.length; i++) gray[i] = gray[i] < 128 ? 0 : 255;
}

interface Printing {
  skew: number;
  noise: number;
  random: () => number;
}

async function pageImage(page: StackPage, printing: Printing): Promise<GrayPage> {
  switch (page.kind) {
    case 'scan':
      return fixturePage(page.file, page.page);
    case 'blank':
      return scanned({ gray: new Uint8Array(LETTER.width * LETTER.height).fill(255), ...LETTER }, printing);
    case 'separator':
      return scanned(await printedSheet('separator', async () => sheetsPdf([{ kind: 'separator' }]), 1), printing);
    case 'cover-sheet': {
      const pdf = async () => page.pdf ?? sheetsPdf([{ kind: 'cover-sheet', sheet: page.sheet }]);
      const key = page.pdf ? createHash('sha256').update(page.pdf).digest('hex') : JSON.stringify(page.sheet);
      const image = await printedSheet(key, pdf, page.pdfPage ?? 1);
      const stained = page.damaged ? stainQrs(image) : image;
      return scanned(page.obliterated ? paintOverQrs(stained, page.obliterated) : stained, printing);
    }
  }
}

/** Sheets as printed (rendered at 200 dpi), once a process: a PDF worker starts for each rendering. */
const printedSheets = new Map<string, Promise<GrayPage>>();

function printedSheet(key: string, pdf: () => Promise<Buffer>, page: number): Promise<GrayPage> {
  const id = `${key}#${page}`;
  let rendering = printedSheets.get(id);
  if (!rendering) {
    rendering = pdf().then((bytes) => rendered(bytes, 'application/pdf', page));
    printedSheets.set(id, rendering);
  }
  // Never handed out itself: the caller may stain it.
  return rendering.then((image) => ({ ...image, gray: new Uint8Array(image.gray) }));
}

/** The fixture scans' pages, rendered once a process (a long stack repeats them); callers get a copy. */
const fixturePages = new Map<string, Promise<GrayPage>>();

async function fixturePage(file: string, page: number): Promise<GrayPage> {
  const key = `${file}#${page}`;
  let rendering = fixturePages.get(key);
  if (!rendering) {
    rendering = rendered(join(SCANS, file), CONTENT_TYPES[file.split('.').pop()!], page).then(fitToLetter);
    fixturePages.set(key, rendering);
  }
  const image = await rendering;
  return { ...image, gray: new Uint8Array(image.gray) };
}

/** Page `page` (from 1) of a PDF as medrec's rasterizer renders it, a vector page at 200 dpi: raw grey pixels. */
export function renderPdfPage(pdf: Buffer, page: number): Promise<GrayPage> {
  return rendered(pdf, 'application/pdf', page);
}

/** A page as medrec's own rasterizer renders it (a PDF's vector sheet at 200 dpi), as raw grey pixels. */
async function rendered(source: string | Buffer, contentType: DocumentContentType, page: number): Promise<GrayPage> {
  const image = await rasterizePage(source, contentType, page, { vectorDpi: STACK_DPI });
  if (!image) throw new Error(`No page ${page}`);
  return rawGray(image.png);
}

async function rawGray(encoded: Buffer): Promise<GrayPage> {
  const { data, info } = await sharp(encoded).toColourspace('b-w').extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  return { gray: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

/** Cropped or padded with white about the centre to exactly US Letter at 200 dpi, never resampled. */
async function fitToLetter(page: GrayPage): Promise<GrayPage> {
  const out = new Uint8Array(LETTER.width * LETTER.height).fill(255);
  const dx = Math.round((page.width - LETTER.width) / 2);
  const dy = Math.round((page.height - LETTER.height) / 2);
  for (let y = 0; y < LETTER.height; y++) {
    const sy = y + dy;
    if (sy < 0 || sy >= page.height) continue;
    for (let x = 0; x < LETTER.width; x++) {
      const sx = x + dx;
      if (sx >= 0 && sx < page.width) out[y * LETTER.width + x] = page.gray[sy * page.width + sx];
    }
  }
  return { gray: out, ...LETTER };
}

/** A printed sheet through a scanner: turned by the skew about its centre, slightly soft, with specks of dust. */
async function scanned(page: GrayPage, { skew, noise, random }: Printing): Promise<GrayPage> {
  const turned = await sharp(page.gray, { raw: { width: page.width, height: page.height, channels: 1 } })
    .rotate(skew, { background: '#ffffff' })
    .blur(0.6)
    .toColourspace('b-w')
    .extractChannel(0)
    .raw()
    .toBuffer({ resolveWithObject: true });
  const centred = await fitToLetter({ gray: new Uint8Array(turned.data), width: turned.info.width, height: turned.info.height });
  const gray = centred.gray;
  const specks = Math.round(gray.length * noise);
  for (let i = 0; i < specks; i++) {
    const at = Math.floor(random() * gray.length);
    gray[at] = random() < 0.5 ? Math.floor(random() * 96) : 255 - Math.floor(random() * 64);
  }
  return centred;
}

const pointsToPixels = (points: number) => Math.round((points / 72) * STACK_DPI);

/**
 * A stain over the middle of each of a sheet's QR codes, as the sheet is printed (before the skew):
 * the three finder patterns and the format information beside them stay, the data modules between
 * them are lost, well beyond what error correction level M (15%) restores.
 */
function stainQrs(page: GrayPage): GrayPage {
  const gray = new Uint8Array(page.gray);
  for (const box of QR_BOXES) {
    const modules = 33 + 2 * box.quietModules;
    const module = box.size / modules;
    // Modules 10 to 23 of the 33 across and down: the middle, clear of the finders (0-8 and 25-33).
    const from = (box.quietModules + 10) * module;
    const to = (box.quietModules + 23) * module;
    for (let y = pointsToPixels(box.top + from); y < pointsToPixels(box.top + to); y++) {
      for (let x = pointsToPixels(box.left + from); x < pointsToPixels(box.left + to); x++) gray[y * page.width + x] = (x * 7 + y * 13) % 23 === 0 ? 60 : 225;
    }
  }
  return { ...page, gray };
}

/**
 * A sheet's codes painted over as a clerk's marker, a torn corner or a soaked patch would leave
 * them: nothing of the code is left to find. The upper code under a solid black box (a little
 * larger than the code, quiet zone included), and for 'both' the lower one under a white box.
 */
function paintOverQrs(page: GrayPage, which: Obliteration): GrayPage {
  const gray = new Uint8Array(page.gray);
  const boxes = which === 'both' ? QR_BOXES : QR_BOXES.slice(0, 1);
  for (const [i, box] of boxes.entries()) {
    const ink = i === 0 ? 0 : 255;
    const inset = box.quietModules * (box.size / 41) - 4;
    for (let y = pointsToPixels(box.top + inset); y < pointsToPixels(box.top + box.size - inset); y++) {
      gray.fill(ink, y * page.width + pointsToPixels(box.left + inset), y * page.width + pointsToPixels(box.left + box.size - inset));
    }
  }
  return { ...page, gray };
}

/** One PDF page per image, US Letter, each a grey JPEG at 200 dpi (as scanners write colour or grey pages). */
async function imagesPdf(images: GrayPage[], bilevel: boolean): Promise<Buffer> {
  const doc = new PDFDocument({ autoFirstPage: false, info: { Title: 'scanner stack', Producer: 'scanner' } });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  for (const image of images) {
    const pixels = sharp(image.gray, { raw: { width: image.width, height: image.height, channels: 1 } }).toColourspace('b-w');
    const encoded = await (bilevel ? pixels.png({ colours: 2, palette: false, compressionLevel: 6 }) : pixels.jpeg({ quality: 85 }))
      .withMetadata({ density: STACK_DPI })
      .toBuffer();
    const size = [(image.width / STACK_DPI) * 72, (image.height / STACK_DPI) * 72];
    doc.addPage({ size, margin: 0 });
    doc.image(encoded, 0, 0, { width: size[0], height: size[1] });
  }
  doc.end();
  return done;
}

/** One multi-page TIFF, a page per image, 200 dpi: grey (deflate) or bilevel (CCITT Group 4). */
async function imagesTiff(images: GrayPage[], bilevel: boolean): Promise<Buffer> {
  const tall = Buffer.concat(images.map((i) => i.gray));
  const resolution = { xres: STACK_DPI / 25.4, yres: STACK_DPI / 25.4, resolutionUnit: 'inch' as const };
  return sharp(tall, { raw: { width: LETTER.width, height: LETTER.height * images.length, channels: 1, pageHeight: LETTER.height } })
    .toColourspace('b-w')
    .tiff(bilevel ? { compression: 'ccittfax4', bitdepth: 1, ...resolution } : { compression: 'deflate', ...resolution })
    .toBuffer();
}

function once<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () => (made ??= make());
}

/** A small seeded PRNG: the same stack for the same seed. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
