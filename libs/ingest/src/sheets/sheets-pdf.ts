import type PDFKitDocument from 'pdfkit';
import { create as createQr } from 'qrcode';
import { dirname, join } from 'node:path';
import { coverSheetCode, type CoverSheetDetails, SEPARATOR_CODE } from '@medrec/domain';
import { MARKER_LEFT, SHEET_MARKER } from './sheet-marker';

/** One cover sheet to print: its id (in the QR code) and the details in large type. */
export interface PrintedCoverSheet extends CoverSheetDetails {
  id: string;
}

export type PrintedSheet = { kind: 'cover-sheet'; sheet: PrintedCoverSheet } | { kind: 'separator' };

/*
 * Liberation Sans (shipped inside pdfjs-dist) rather than a standard PDF font: names are written
 * in any Latin, Greek or Cyrillic script, which the standard fonts' WinAnsi encoding cannot print.
 */
const FONTS = join(dirname(require.resolve('pdfjs-dist/package.json')), 'standard_fonts');
const REGULAR = join(FONTS, 'LiberationSans-Regular.ttf');
const BOLD = join(FONTS, 'LiberationSans-Bold.ttf');

/** US Letter, in points. */
const PAGE = { width: 612, height: 792 };
const MARGIN = 48;
const CONTENT_WIDTH = PAGE.width - 2 * MARGIN;
/** 2.2 inches: a version-4 code's modules are ~0.067 in, 13 pixels at 200 dpi, 6 at 100. */
const QR_SIZE = 158;
/** The quiet zone the QR standard asks for around the code, in modules. */
const QUIET_MODULES = 4;

/**
 * Cover sheets and separator sheets as one printable PDF, a sheet a page, in the order given. The
 * QR code is drawn as vector squares (sharp at any printer or scanner resolution), error
 * correction level M (15%), twice: in the top right corner where a clerk's stamp or staple rarely
 * goes, and in the bottom left corner, ~9 inches away, so that one stain or tear does not take
 * both. Along the top and bottom edges, the sheet marker (sheet-marker.ts): a sheet whose codes are
 * both gone is still known as a sheet, and its pages go to review instead of joining the document before it.
 */
export function sheetsPdf(sheets: readonly PrintedSheet[]): Promise<Buffer> {
  if (sheets.length === 0) throw new Error('No sheet to print');
  // Loaded when first needed: pdfkit and fontkit take ~7.5 MB of heap for the life of the process.
  return import('pdfkit').then(({ default: PDFDocument }) => printSheets(PDFDocument, sheets));
}

function printSheets(PDFDocument: typeof PDFKitDocument, sheets: readonly PrintedSheet[]): Promise<Buffer> {
  // A bottom margin below the footer, so that writing the footer never starts a page of its own.
  const margins = { top: MARGIN, left: MARGIN, right: MARGIN, bottom: MARGIN / 2 };
  const doc = new PDFDocument({
    size: [PAGE.width, PAGE.height],
    margins,
    autoFirstPage: false,
    info: { Title: 'medrec cover sheets', Creator: 'medrec' },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  doc.registerFont('regular', REGULAR);
  doc.registerFont('bold', BOLD);
  for (const sheet of sheets) {
    doc.addPage({ size: [PAGE.width, PAGE.height], margins });
    if (sheet.kind === 'cover-sheet') drawCoverSheet(doc, sheet.sheet);
    else drawSeparator(doc);
  }
  doc.end();
  return done;
}

function drawCoverSheet(doc: PDFKit.PDFDocument, sheet: PrintedCoverSheet): void {
  drawCodesAndMarker(doc, coverSheetCode(sheet.id));
  doc
    .font('bold')
    .fontSize(30)
    .text('COVER SHEET', MARGIN, MARGIN + 8, { width: textWidth() });
  doc.font('regular').fontSize(12).text('Place on top of the document. Scan face up, with the document behind it.', { width: textWidth() });
  doc.y = MARGIN + QR_SIZE + 12;
  // Each value has a height of its own (in points; ~360 in all, between the two codes) and its type
  // shrinks to fit it: a long name or title never reaches the lower code or a second page.
  const field = (label: string, value: string, size: number, height: number) => {
    doc.font('regular').fontSize(11).fillColor('#333333').text(label.toUpperCase(), MARGIN, doc.y, { width: CONTENT_WIDTH });
    doc
      .font('bold')
      .fontSize(fittedSize(doc, value, size, height))
      .fillColor('#000000')
      .text(value, { width: CONTENT_WIDTH, height, ellipsis: true });
    doc.moveDown(0.25);
  };
  field('Patient', sheet.patientName, 32, 76);
  field('MRN', sheet.mrn, 30, 36);
  field('Date of birth', sheet.dateOfBirth, 24, 30);
  field('Document type', sheet.documentType.replace(/-/g, ' '), 24, 30);
  if (sheet.title !== undefined) field('Title', sheet.title, 20, 64);
  if (sheet.encounterDate !== undefined) field('Encounter date', sheet.encounterDate, 20, 26);
  footer(doc, `medrec cover sheet ${sheet.id} - one use only: a copy cannot file a second record.`);
}

function drawSeparator(doc: PDFKit.PDFDocument): void {
  drawCodesAndMarker(doc, SEPARATOR_CODE);
  doc
    .font('bold')
    .fontSize(30)
    .text('SEPARATOR SHEET', MARGIN, MARGIN + 8, { width: textWidth() });
  doc.font('regular').fontSize(12).text('Place between two documents of the same patient, behind the first one.', { width: textWidth() });
  doc
    .font('bold')
    .fontSize(64)
    .text('SEPARATOR', MARGIN, PAGE.height / 2 - 40, { width: CONTENT_WIDTH, align: 'center' });
  footer(doc, 'medrec separator sheet - reusable; it names no patient.');
}

/** Beside the lower code: the sheet's own line, and what keeps the sheet readable. */
function footer(doc: PDFKit.PDFDocument, text: string): void {
  const left = LOWER_QR_BOX.left + QR_SIZE + 16;
  const options = { width: PAGE.width - MARGIN - left, height: 40, ellipsis: true };
  doc
    .font('regular')
    .fontSize(9)
    .fillColor('#000000')
    .text('Do not write on or cover the two codes or the black bars.', left, LOWER_QR_BOX.top + QR_SIZE - 52, options)
    .text(text, options);
}

/** The largest size from `size` down (by 2, at least 10) at which `value` fits `height` in the bold face. */
function fittedSize(doc: PDFKit.PDFDocument, value: string, size: number, height: number): number {
  doc.font('bold');
  let fitted = size;
  while (fitted > 10 && doc.fontSize(fitted).heightOfString(value, { width: CONTENT_WIDTH }) > height) fitted -= 2;
  return fitted;
}

/** The width left of the QR code for the heading. */
const textWidth = (): number => PAGE.width - 2 * MARGIN - QR_SIZE - 16;

/** Where a sheet's upper QR code is, in points from the page's top left: its quiet zone included. */
export const QR_BOX = { left: PAGE.width - MARGIN - QR_SIZE, top: MARGIN, size: QR_SIZE, quietModules: QUIET_MODULES } as const;
/** Where the same code is printed again, in the bottom left corner (above the lower marker bar). */
export const LOWER_QR_BOX = {
  left: MARGIN,
  top: PAGE.height - SHEET_MARKER.edge - SHEET_MARKER.bar - 8 - QR_SIZE,
  size: QR_SIZE,
  quietModules: QUIET_MODULES,
} as const;
/** Both of a sheet's code boxes. */
export const QR_BOXES = [QR_BOX, LOWER_QR_BOX] as const;

function drawCodesAndMarker(doc: PDFKit.PDFDocument, text: string): void {
  for (const box of QR_BOXES) drawQr(doc, text, box);
  doc.save().fillColor('#000000');
  for (const top of [SHEET_MARKER.edge, PAGE.height - SHEET_MARKER.edge - SHEET_MARKER.bar]) {
    for (let i = 0; i < SHEET_MARKER.blocks; i++) {
      doc.rect(MARKER_LEFT + i * (SHEET_MARKER.block + SHEET_MARKER.gap), top, SHEET_MARKER.block, SHEET_MARKER.bar);
    }
  }
  doc.fill().restore();
}

function drawQr(doc: PDFKit.PDFDocument, text: string, { left, top }: { left: number; top: number }): void {
  const qr = createQr(text, { errorCorrectionLevel: 'M' });
  const { size } = qr.modules;
  const module = QR_SIZE / (size + 2 * QUIET_MODULES);
  doc.save().fillColor('#000000');
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) {
      if (qr.modules.get(row, col)) doc.rect(left + (col + QUIET_MODULES) * module, top + (row + QUIET_MODULES) * module, module, module);
    }
  }
  doc.fill().restore();
}
