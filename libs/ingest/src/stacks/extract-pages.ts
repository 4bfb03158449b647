import { PDFDocument } from 'pdf-lib';
import type { DocumentContentType } from '../inspect/document-content-type';
import { sharp } from '../rasterize/sharp-settings';

export interface ExtractedDocument {
  bytes: Buffer;
  contentType: 'application/pdf' | 'image/tiff';
}

/**
 * Pages of a stack (numbers from 1, in the order given) as a document of their own, kept as they
 * were scanned:
 * - PDF: the pages' own objects copied (pdf-lib): the scan's image streams, byte for byte, at their
 *   resolution; nothing is decoded or re-encoded;
 * - TIFF: the page images, pixel for pixel at their resolution, in a multi-page TIFF (deflate,
 *   lossless); pages of different sizes go into a PDF instead, one lossless PNG a page at its size.
 */
export async function extractPages(original: Buffer, contentType: DocumentContentType, pages: readonly number[]): Promise<ExtractedDocument> {
  return openStackPages(original, contentType).extract(pages);
}

/** A stack's pages to extract document after document: a PDF is parsed once, not once per document. */
export interface StackPages {
  extract(pages: readonly number[]): Promise<ExtractedDocument>;
}

export function openStackPages(original: Buffer, contentType: DocumentContentType): StackPages {
  if (contentType !== 'application/pdf' && contentType !== 'image/tiff') throw new Error(`A stack is a PDF or a TIFF, not ${contentType}`);
  let source: Promise<PDFDocument> | undefined;
  return {
    async extract(pages) {
      if (pages.length === 0) throw new Error('No pages to extract');
      if (contentType === 'image/tiff') return tiffPages(original, pages);
      source ??= PDFDocument.load(original, { updateMetadata: false });
      return { bytes: await pdfPages(await source, pages), contentType };
    },
  };
}

async function pdfPages(source: PDFDocument, pages: readonly number[]): Promise<Buffer> {
  const count = source.getPageCount();
  if (pages.some((p) => !Number.isInteger(p) || p < 1 || p > count)) throw new Error(`The stack has pages 1-${count}`);
  const out = await PDFDocument.create({ updateMetadata: false });
  for (const page of await out.copyPages(
    source,
    pages.map((p) => p - 1),
  )) {
    out.addPage(page);
  }
  return Buffer.from(await out.save({ useObjectStreams: false }));
}

interface TiffPage {
  pixels: Buffer;
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
  density: number;
}

async function tiffPages(original: Buffer, pages: readonly number[]): Promise<ExtractedDocument> {
  const images: TiffPage[] = [];
  for (const page of pages) {
    const image = sharp(original, { page: page - 1, limitInputPixels: false });
    const meta = await image.metadata();
    const { data, info } = await image.raw().toBuffer({ resolveWithObject: true });
    images.push({ pixels: data, width: info.width, height: info.height, channels: info.channels, density: meta.density ?? 200 });
  }
  const [first] = images;
  const uniform = images.every((i) => i.width === first.width && i.height === first.height && i.channels === first.channels && i.density === first.density);
  if (uniform) {
    const perMm = first.density / 25.4;
    const bytes = await sharp(Buffer.concat(images.map((i) => i.pixels)), {
      raw: { width: first.width, height: first.height * images.length, channels: first.channels, pageHeight: first.height },
      limitInputPixels: false,
    })
      .tiff({ compression: 'deflate', xres: perMm, yres: perMm, resolutionUnit: 'inch' })
      .toBuffer();
    return { bytes, contentType: 'image/tiff' };
  }
  const pdf = await PDFDocument.create({ updateMetadata: false });
  for (const image of images) {
    const png = await sharp(image.pixels, { raw: { width: image.width, height: image.height, channels: image.channels } })
      .png()
      .toBuffer();
    const embedded = await pdf.embedPng(png);
    const size: [number, number] = [(image.width / image.density) * 72, (image.height / image.density) * 72];
    pdf.addPage(size).drawImage(embedded, { x: 0, y: 0, width: size[0], height: size[1] });
  }
  return { bytes: Buffer.from(await pdf.save()), contentType: 'application/pdf' };
}
