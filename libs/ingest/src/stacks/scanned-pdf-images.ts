import { decodePDFRawStream, PDFArray, PDFDict, PDFDocument, PDFName, PDFNumber, PDFPage, PDFRawStream } from 'pdf-lib';
import { parsedPdf } from './parsed-pdf';

/** One page of a scanner's PDF: the JPEG it shows, and the resolution it is shown at. */
export interface ScannedPdfImage {
  jpeg: Uint8Array;
  dpi: number;
}

type Matrix = [number, number, number, number, number, number];

/**
 * The pages of a PDF as a scanner writes them, each one JPEG drawn upright over the whole page, as
 * their JPEGs: what decodes them with libjpeg (sharp) instead of rendering them with pdf.js, several
 * times faster, the same images. Undefined unless every page is exactly that, checked strictly
 * (no rotation, nothing else drawn, an axis-aligned image with positive scales covering the media
 * box, a grey or RGB 8-bit JPEG without masks or decode arrays): anything else is rendered, as
 * OCR renders it, so that no page is read differently from how it looks.
 */
export async function scannedPdfImages(pdf: Uint8Array, maxPixelsPerPage: number): Promise<ScannedPdfImage[] | undefined> {
  let doc: PDFDocument;
  try {
    doc = await parsedPdf(pdf);
  } catch {
    return undefined;
  }
  const images: ScannedPdfImage[] = [];
  for (const page of doc.getPages()) {
    const image = pageImage(doc, page, maxPixelsPerPage);
    if (!image) return undefined;
    images.push(image);
  }
  return images;
}

function pageImage(doc: PDFDocument, page: PDFPage, maxPixelsPerPage: number): ScannedPdfImage | undefined {
  if (page.getRotation().angle % 360 !== 0) return undefined;
  const box = page.getMediaBox();
  if (box.x !== 0 || box.y !== 0 || !(box.width > 0 && box.height > 0)) return undefined;
  const drawn = onlyImageDrawn(contentOf(doc, page));
  if (!drawn) return undefined;
  const [a, b, c, d, e, f] = drawn.ctm;
  const near = (x: number, y: number) => Math.abs(x - y) <= 0.5;
  if (b !== 0 || c !== 0 || !(a > 0 && d > 0) || !near(e, 0) || !near(f, 0) || !near(a, box.width) || !near(d, box.height)) return undefined;
  const xObjects = page.node.Resources()?.lookup(PDFName.of('XObject'));
  if (!(xObjects instanceof PDFDict)) return undefined;
  const stream = doc.context.lookup(xObjects.get(PDFName.of(drawn.name)));
  if (!(stream instanceof PDFRawStream)) return undefined;
  const dict = stream.dict;
  const name = (key: string) => {
    const value = dict.lookup(PDFName.of(key));
    if (value instanceof PDFArray && value.size() === 1) return value.lookup(0)?.toString();
    return value?.toString();
  };
  const number = (key: string) => (dict.lookup(PDFName.of(key)) as PDFNumber | undefined)?.asNumber?.();
  if (name('Subtype') !== '/Image' || name('Filter') !== '/DCTDecode') return undefined;
  if (!['/DeviceGray', '/DeviceRGB'].includes(name('ColorSpace') ?? '') || number('BitsPerComponent') !== 8) return undefined;
  for (const key of ['SMask', 'Mask', 'Decode', 'ImageMask', 'DecodeParms']) if (dict.has(PDFName.of(key))) return undefined;
  const width = number('Width');
  const height = number('Height');
  if (!width || !height || width * height > maxPixelsPerPage) return undefined;
  return { jpeg: stream.contents, dpi: (width / box.width) * 72 };
}

function contentOf(doc: PDFDocument, page: PDFPage): string | undefined {
  const contents = page.node.get(PDFName.of('Contents'));
  const refs = contents instanceof PDFArray ? contents.asArray() : contents ? [contents] : [];
  let text = '';
  for (const ref of refs) {
    const stream = doc.context.lookup(ref);
    if (!(stream instanceof PDFRawStream)) return undefined;
    text += Buffer.from(decodePDFRawStream(stream).decode()).toString('latin1') + '\n';
  }
  return text;
}

/** The one image a content stream draws and the transformation it is drawn with; undefined if it draws anything else. */
function onlyImageDrawn(content: string | undefined): { name: string; ctm: Matrix } | undefined {
  if (content === undefined) return undefined;
  const stack: Matrix[] = [];
  let ctm: Matrix = [1, 0, 0, 1, 0, 0];
  const operands: string[] = [];
  let drawn: { name: string; ctm: Matrix } | undefined;
  for (const token of content.split(/\s+/).filter((t) => t.length > 0)) {
    if (/^[+-]?(\d+\.?\d*|\.\d+)$/.test(token) || token.startsWith('/')) {
      operands.push(token);
      continue;
    }
    switch (token) {
      case 'q':
        stack.push(ctm);
        break;
      case 'Q':
        if (stack.length === 0) return undefined;
        ctm = stack.pop()!;
        break;
      case 'cm': {
        if (operands.length !== 6 || operands.some((o) => o.startsWith('/'))) return undefined;
        ctm = multiply(operands.map(Number) as Matrix, ctm);
        break;
      }
      case 'Do':
        if (drawn || operands.length !== 1 || !operands[0].startsWith('/')) return undefined;
        drawn = { name: operands[0].slice(1), ctm };
        break;
      default:
        return undefined;
    }
    operands.length = 0;
  }
  return operands.length === 0 ? drawn : undefined;
}

/** m × n, as PDF concatenates a `cm` onto the current matrix. */
function multiply(m: Matrix, n: Matrix): Matrix {
  return [
    m[0] * n[0] + m[1] * n[2],
    m[0] * n[1] + m[1] * n[3],
    m[2] * n[0] + m[3] * n[2],
    m[2] * n[1] + m[3] * n[3],
    m[4] * n[0] + m[5] * n[2] + n[4],
    m[4] * n[1] + m[5] * n[3] + n[5],
  ];
}
