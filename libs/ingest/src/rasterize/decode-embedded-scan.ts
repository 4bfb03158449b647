import { sharp } from './sharp-settings';
import type { EmbeddedScan } from './pdf-worker';

/** 8-bit grey pixels of a page, one byte a pixel, rows top to bottom. */
export interface GrayPixels {
  gray: Buffer;
  width: number;
  height: number;
  dpi: number;
}

/**
 * A PDF page's embedded scan decoded to the pixels pdf.js paints for it (the page is the image,
 * drawn 1:1): a JPEG by libjpeg, a Group 4 image by libtiff through a minimal TIFF around its
 * stream; colour converted to grey with the weights the pdf.js path uses. libvips decodes in its
 * own threads. Rejects when the image does not decode whole to the size the PDF says (the caller
 * then renders the page with pdf.js).
 */
export async function decodeEmbeddedScan(scan: EmbeddedScan, maxPixelsPerPage: number): Promise<GrayPixels> {
  const { width, height, dpi } = scan;
  const input = scan.kind === 'jpeg' ? scan.bytes : ccittAsTiff(scan);
  const expected = scan.kind === 'jpeg' ? scan.channels : 1;
  const decoder = sharp(input, { limitInputPixels: maxPixelsPerPage, failOn: 'warning' });
  const { channels } = await decoder.metadata();
  if (channels !== expected) throw new Error('The embedded scan does not have the channels its PDF says');
  // One band stays one band (sharp would otherwise hand a grey image over as sRGB); colour becomes
  // luma in libvips' threads, not in JavaScript on the event loop (~12 ms a page there).
  const { data, info } = await (expected === 1 ? decoder.toColourspace('b-w') : toLuma(decoder)).raw().toBuffer({ resolveWithObject: true });
  if (info.width !== width || info.height !== height) throw new Error('The embedded scan is not the size its PDF says');
  if (info.channels !== 1) throw new Error('The embedded scan did not decode to one band of grey');
  return { gray: data, width, height, dpi };
}

/** RGB to 8-bit luma with ITU-R BT.601 weights, those of pdf-worker.mjs's toGray (77, 150, 29 in 256ths): within one level of it. */
function toLuma(rgb: ReturnType<typeof sharp>): ReturnType<typeof sharp> {
  return rgb
    .recomb([
      [77 / 256, 150 / 256, 29 / 256],
      [0, 0, 0],
      [0, 0, 0],
    ])
    .extractChannel(0);
}

const TIFF_SHORT = 3;
const TIFF_LONG = 4;

/**
 * The PDF's CCITTFaxDecode stream (K < 0: Group 4, rows not byte-aligned) as the one strip of a
 * little-endian TIFF: Compression 4, the PDF's Columns and Rows as ImageWidth and ImageLength.
 * The decoder writes black runs as 1 bits; with BlackIs1 false (the PDF default) the PDF shows
 * them black, i.e. WhiteIsZero (Photometric 0); with BlackIs1 true the PDF's DeviceGray shows
 * them white, i.e. BlackIsZero (Photometric 1).
 */
export function ccittAsTiff(scan: Extract<EmbeddedScan, { kind: 'ccitt' }>): Buffer {
  const entries: Array<[tag: number, type: number, value: number]> = [
    [256, TIFF_LONG, scan.width],
    [257, TIFF_LONG, scan.height],
    [258, TIFF_SHORT, 1], // BitsPerSample
    [259, TIFF_SHORT, 4], // Compression: CCITT T.6 (Group 4)
    [262, TIFF_SHORT, scan.blackIs1 ? 1 : 0], // PhotometricInterpretation
    [273, TIFF_LONG, 0], // StripOffsets, set below
    [277, TIFF_SHORT, 1], // SamplesPerPixel
    [278, TIFF_LONG, scan.height], // RowsPerStrip
    [279, TIFF_LONG, scan.bytes.length], // StripByteCounts
    [293, TIFF_LONG, 0], // T6Options: no uncompressed mode
  ];
  const ifdBytes = 2 + entries.length * 12 + 4;
  const dataOffset = 8 + ifdBytes;
  const header = Buffer.alloc(dataOffset);
  header.write('II', 0, 'latin1');
  header.writeUInt16LE(42, 2);
  header.writeUInt32LE(8, 4);
  header.writeUInt16LE(entries.length, 8);
  entries.forEach(([tag, type, value], index) => {
    const at = 10 + index * 12;
    header.writeUInt16LE(tag, at);
    header.writeUInt16LE(type, at + 2);
    header.writeUInt32LE(1, at + 4);
    const v = tag === 273 ? dataOffset : value;
    if (type === TIFF_SHORT) header.writeUInt16LE(v, at + 8);
    else header.writeUInt32LE(v, at + 8);
  });
  header.writeUInt32LE(0, 10 + entries.length * 12); // no next IFD
  return Buffer.concat([header, scan.bytes]);
}
