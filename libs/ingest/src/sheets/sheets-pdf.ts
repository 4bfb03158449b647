import PDFDocument from 'pdfkit';
import { create as createQr } from 'qrcode';
import { dirname, join } from 'node:path';
import { coverSheetCode, type CoverSheetDetails, SEPARATOR_CODE } from '@medrec/domain';

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
 * correction level M (15%), in the top right corner where a clerk's stamp or staple rarely goes.
 */
export function sheetsPdf(sheets: readonly PrintedSheet[]): Promise<Buffer> {
  if (sheets.length === 0) throw new Error('No sheet to print');
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
  drawQr(doc, coverSheetCode(sheet.id));
  doc
    .font('bold')
    .fontSize(30)
    .text('COVER SHEET', MARGIN, MARGIN + 8, { width: textWidth() });
  doc.font('regular').fontSize(12).text('Place on top of the document. Scan face up, with the document behind it.', { width: textWidth() });
  doc.y = MARGIN + QR_SIZE + 36;
  // Each value has a height of its own (in points; 480 in all above the footer) and its type shrinks
  // to fit it: a long name or title never pushes the sheet onto a second page.
  const field = (label: string, value: string, size: number, height: number) => {
    doc.font('regular').fontSize(13).fillColor('#333333').text(label.toUpperCase(), MARGIN, doc.y, { width: CONTENT_WIDTH });
    doc
      .font('bold')
      .fontSize(fittedSize(doc, value, size, height))
      .fillColor('#000000')
      .text(value, { width: CONTENT_WIDTH, height, ellipsis: true });
    doc.moveDown(0.5);
  };
  field('Patient', sheet.patientName, 34, 96);
  field('MRN', sheet.mrn, 34, 42);
  field('Date of birth', sheet.dateOfBirth, 28, 34);
  field('Document type', sheet.documentType.replace(/-/g, ' '), 28, 34);
  if (sheet.title !== undefined) field('Title', sheet.title, 22, 80);
  if (sheet.encounterDate !== undefined) field('Encounter date', sheet.encounterDate, 22, 28);
  footer(doc, `medrec cover sheet ${sheet.id} - one use only: a copy cannot file a second record.`);
}

function drawSeparator(doc: PDFKit.PDFDocument): void {
  drawQr(doc, SEPARATOR_CODE);
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

function footer(doc: PDFKit.PDFDocument, text: string): void {
  doc
    .font('regular')
    .fontSize(9)
    .fillColor('#000000')
    .text(text, MARGIN, PAGE.height - MARGIN - 12, { width: CONTENT_WIDTH, lineBreak: false });
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

/** Where a sheet's QR code is, in points from the page's top left: its quiet zone included. */
export const QR_BOX = { left: PAGE.width - MARGIN - QR_SIZE, top: MARGIN, size: QR_SIZE, quietModules: QUIET_MODULES } as const;

function drawQr(doc: PDFKit.PDFDocument, text: string): void {
  const qr = createQr(text, { errorCorrectionLevel: 'M' });
  const { size } = qr.modules;
  const module = QR_SIZE / (size + 2 * QUIET_MODULES);
  const { left, top } = QR_BOX;
  doc.save().fillColor('#000000');
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) {
      if (qr.modules.get(row, col)) doc.rect(left + (col + QUIET_MODULES) * module, top + (row + QUIET_MODULES) * module, module, module);
    }
  }
  doc.fill().restore();
}
