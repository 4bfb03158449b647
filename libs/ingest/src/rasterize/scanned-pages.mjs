// Plain ESM (no TypeScript): loaded by pdf-worker.mjs inside a worker thread. Recognises a
// scanner's PDF from its structure alone (pdf-lib's parser, no pdf.js, nothing decoded but the
// tiny content streams): every page exactly one image drawn over the whole page, nothing else.
// Such pages are taken from their embedded images (JPEG, CCITT Group 4) instead of being rendered:
// the same pixels pdf.js paints at the image's native resolution, without pdf.js's cost.
import { inflateSync } from 'node:zlib';
import { PDFArray, PDFDict, PDFDocument, PDFName, PDFNumber, PDFRawStream, PDFRef, PDFBool } from 'pdf-lib';

/** A scanner writes `q W 0 0 H 0 0 cm /Im0 Do Q`: a content stream longer than this is something else. */
const MAX_CONTENT_BYTES = 4096;
/** The page tree's depth, far beyond any real one (a cycle or a hostile nesting ends the fast path). */
const MAX_TREE_DEPTH = 32;
/** How far a drawn image's matrix may be from the page box, in points, for the image to be drawn 1:1. */
const EXACT = 1e-3;

class NotScanned extends Error {}
const notScanned = () => {
  throw new NotScanned();
};

/**
 * The pages of `data` when every one is a scan pdf.js would paint 1:1 at the image's own size:
 * `{ pages }`, each `{ box: { width, height }, image }` with `image` `{ kind: 'jpeg', bytes,
 * width, height, channels, dpi }` or `{ kind: 'ccitt', bytes, width, height, blackIs1, dpi }`;
 * `{ refusal: 'too-many-pages' }` when the page tree's /Count (what pdf.js counts) is over
 * `maxPages`, before any page is looked at; undefined for anything else (pdf.js decides).
 */
export async function scannedPages(data, { maxPages }) {
  let doc;
  try {
    doc = await PDFDocument.load(data, { updateMetadata: false, parseSpeed: Infinity });
  } catch {
    return undefined; // encrypted, damaged: pdf.js tells which
  }
  try {
    const root = doc.catalog.lookup(PDFName.of('Pages'));
    if (!(root instanceof PDFDict)) return undefined;
    const count = numberOf(root.lookup(PDFName.of('Count')));
    if (!Number.isInteger(count) || count < 1) return undefined;
    if (maxPages !== undefined && count > maxPages) return { refusal: 'too-many-pages' };
    const leaves = [];
    collectPages(doc, root, {}, 0, leaves, count);
    if (leaves.length !== count) return undefined;
    return { pages: leaves.map(({ node, inherited }) => scannedPage(doc, node, inherited)) };
  } catch {
    return undefined; // NotScanned, or a structure pdf-lib could not follow: pdf.js decides
  }
}

const INHERITABLE = ['Resources', 'MediaBox', 'CropBox', 'Rotate'];

function collectPages(doc, node, inherited, depth, leaves, count) {
  if (depth > MAX_TREE_DEPTH || leaves.length > count) notScanned();
  const own = { ...inherited };
  for (const key of INHERITABLE) if (node.has(PDFName.of(key))) own[key] = node.lookup(PDFName.of(key));
  const type = nameOf(node.lookup(PDFName.of('Type')));
  if (type === '/Page') {
    leaves.push({ node, inherited: own });
    return;
  }
  if (type !== '/Pages') notScanned();
  const kids = node.lookup(PDFName.of('Kids'));
  if (!(kids instanceof PDFArray)) notScanned();
  for (let i = 0; i < kids.size(); i++) {
    const kid = kids.lookup(i);
    if (!(kid instanceof PDFDict)) notScanned();
    collectPages(doc, kid, own, depth + 1, leaves, count);
  }
}

function scannedPage(doc, node, inherited) {
  // What pdf.js would do differently from painting the one image: rotate, crop, scale by a user
  // unit, draw annotations over it.
  const rotate = inherited.Rotate === undefined ? 0 : numberOf(inherited.Rotate);
  if (rotate !== 0) notScanned();
  if (node.has(PDFName.of('UserUnit')) && numberOf(node.lookup(PDFName.of('UserUnit'))) !== 1) notScanned();
  const annots = node.lookup(PDFName.of('Annots'));
  if (annots !== undefined && !(annots instanceof PDFArray && annots.size() === 0)) notScanned();
  const media = rectOf(inherited.MediaBox);
  if (media[0] !== 0 || media[1] !== 0 || !(media[2] > 0 && media[3] > 0)) notScanned();
  if (inherited.CropBox !== undefined && rectOf(inherited.CropBox).some((v, i) => v !== media[i])) notScanned();
  const box = { width: media[2], height: media[3] };

  const drawn = onlyImageDrawn(contentOf(doc, node));
  const [a, b, c, d, e, f] = drawn.ctm;
  const exact = (x, y) => Math.abs(x - y) <= EXACT;
  if (b !== 0 || c !== 0 || !exact(e, 0) || !exact(f, 0) || !exact(a, box.width) || !exact(d, box.height)) notScanned();

  const resources = inherited.Resources instanceof PDFDict ? inherited.Resources : notScanned();
  const xObjects = resources.lookup(PDFName.of('XObject'));
  if (!(xObjects instanceof PDFDict)) notScanned();
  const stream = xObjects.lookup(PDFName.of(drawn.name));
  if (!(stream instanceof PDFRawStream)) notScanned();
  const image = imageOf(stream);

  // pdf.js renders the page at the image's resolution (pdf-page-plan.mjs): the canvas it paints
  // must be the image's own size, or it resamples and the pixels would differ.
  const dpi = Math.max(1, Math.round(Math.max((image.width * 72) / a, (image.height * 72) / d)));
  const width = Math.max(1, Math.round((box.width * dpi) / 72));
  const height = Math.max(1, Math.round((box.height * dpi) / 72));
  if (width !== image.width || height !== image.height) notScanned();
  return { box, image: { ...image, dpi } };
}

function imageOf(stream) {
  const dict = stream.dict;
  const get = (key) => dict.lookup(PDFName.of(key));
  if (nameOf(get('Subtype')) !== '/Image') notScanned();
  for (const key of ['SMask', 'Mask', 'Decode', 'ImageMask', 'Interpolate', 'OC', 'Alternates', 'SMaskInData']) if (dict.has(PDFName.of(key))) notScanned();
  const width = numberOf(get('Width'));
  const height = numberOf(get('Height'));
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) notScanned();
  const filter = singleName(get('Filter'));
  const colorSpace = nameOf(get('ColorSpace'));
  const bits = numberOf(get('BitsPerComponent'));
  const bytes = stream.contents;
  if (filter === '/DCTDecode') {
    if (dict.has(PDFName.of('DecodeParms')) || bits !== 8) notScanned();
    const channels = colorSpace === '/DeviceGray' ? 1 : colorSpace === '/DeviceRGB' ? 3 : notScanned();
    const frame = jpegFrame(bytes);
    if (frame.precision !== 8 || frame.width !== width || frame.height !== height || frame.components !== channels || frame.adobe) notScanned();
    return { kind: 'jpeg', bytes, width, height, channels };
  }
  if (filter === '/CCITTFaxDecode') {
    if (bits !== 1 || colorSpace !== '/DeviceGray') notScanned();
    const parms = singleDict(get('DecodeParms'));
    const parm = (key, fallback) => (parms?.has(PDFName.of(key)) ? parms.lookup(PDFName.of(key)) : fallback);
    const k = numberOf(parm('K', PDFNumber.of(0)));
    // Group 4 alone (what scanners write): TIFF says the same with Compression 4; Group 3's EOL
    // and byte-alignment variants are left to pdf.js.
    if (!(k < 0) || boolOf(parm('EncodedByteAlign', PDFBool.False)) !== false) notScanned();
    if (numberOf(parm('Columns', PDFNumber.of(1728))) !== width) notScanned();
    const rows = parm('Rows', undefined);
    if (rows !== undefined && numberOf(rows) !== height) notScanned();
    if (parm('DamagedRowsBeforeError', undefined) !== undefined && numberOf(parm('DamagedRowsBeforeError')) !== 0) notScanned();
    return { kind: 'ccitt', bytes, width, height, blackIs1: boolOf(parm('BlackIs1', PDFBool.False)) };
  }
  return notScanned();
}

/** The baseline frame of a JPEG: size, precision and components from its SOF, and whether an Adobe APP14 marker recolours it. */
export function jpegFrame(bytes) {
  if (bytes[0] !== 0xff || bytes[1] !== 0xd8) notScanned();
  let adobe = false;
  for (let offset = 2; offset + 4 <= bytes.length;) {
    if (bytes[offset] !== 0xff) notScanned();
    const marker = bytes[offset + 1];
    if (marker === 0xff) {
      offset++;
      continue;
    }
    const length = (bytes[offset + 2] << 8) | bytes[offset + 3];
    if (length < 2) notScanned();
    if (marker === 0xee) adobe = true;
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrame) {
      if (offset + 10 > bytes.length) notScanned();
      return {
        precision: bytes[offset + 4],
        height: (bytes[offset + 5] << 8) | bytes[offset + 6],
        width: (bytes[offset + 7] << 8) | bytes[offset + 8],
        components: bytes[offset + 9],
        adobe,
      };
    }
    if (marker === 0xda || marker === 0xd9) notScanned();
    offset += 2 + length;
  }
  return notScanned();
}

function contentOf(doc, node) {
  const contents = node.get(PDFName.of('Contents'));
  const refs = contents instanceof PDFArray ? contents.asArray() : contents ? [contents] : [];
  let text = '';
  for (const ref of refs) {
    const stream = doc.context.lookup(ref);
    if (!(stream instanceof PDFRawStream)) notScanned();
    const filter = singleName(stream.dict.lookup(PDFName.of('Filter')));
    if (stream.dict.has(PDFName.of('DecodeParms'))) notScanned();
    let bytes;
    if (filter === undefined) bytes = stream.contents;
    else if (filter === '/FlateDecode') {
      try {
        // Capped: a content stream that inflates past a scanner's few bytes is not one (nor a bomb to inflate).
        bytes = inflateSync(stream.contents, { maxOutputLength: MAX_CONTENT_BYTES });
      } catch {
        notScanned();
      }
    } else notScanned();
    if (bytes.length > MAX_CONTENT_BYTES) notScanned();
    text += Buffer.from(bytes).toString('latin1') + '\n';
  }
  return text;
}

/** The one image a content stream draws and the matrix it is drawn with; anything else drawn (or set) ends the fast path. */
function onlyImageDrawn(content) {
  const stack = [];
  let ctm = [1, 0, 0, 1, 0, 0];
  const operands = [];
  let drawn;
  for (const token of content.split(/[\0\t\n\f\r ]+/).filter((t) => t.length > 0)) {
    if (/^[+-]?(\d+\.?\d*|\.\d+)$/.test(token) || /^\/[A-Za-z0-9_.-]+$/.test(token)) {
      operands.push(token);
      continue;
    }
    switch (token) {
      case 'q':
        if (operands.length !== 0) notScanned();
        stack.push(ctm);
        break;
      case 'Q':
        if (operands.length !== 0 || stack.length === 0) notScanned();
        ctm = stack.pop();
        break;
      case 'cm':
        if (operands.length !== 6 || operands.some((o) => o.startsWith('/'))) notScanned();
        ctm = multiply(operands.map(Number), ctm);
        break;
      case 'Do':
        if (drawn || operands.length !== 1 || !operands[0].startsWith('/')) notScanned();
        drawn = { name: operands[0].slice(1), ctm };
        break;
      default:
        notScanned();
    }
    operands.length = 0;
  }
  if (operands.length !== 0 || !drawn) notScanned();
  return drawn;
}

/** m × n, as PDF concatenates a `cm` onto the current matrix. */
function multiply(m, n) {
  return [
    m[0] * n[0] + m[1] * n[2],
    m[0] * n[1] + m[1] * n[3],
    m[2] * n[0] + m[3] * n[2],
    m[2] * n[1] + m[3] * n[3],
    m[4] * n[0] + m[5] * n[2] + n[4],
    m[4] * n[1] + m[5] * n[3] + n[5],
  ];
}

function numberOf(value) {
  return value instanceof PDFNumber ? value.asNumber() : notScanned();
}

function boolOf(value) {
  return value instanceof PDFBool ? value.asBoolean() : notScanned();
}

function nameOf(value) {
  return value instanceof PDFName ? value.asString() : undefined;
}

function singleName(value) {
  if (value === undefined) return undefined;
  if (value instanceof PDFArray) return value.size() === 1 ? (nameOf(value.lookup(0)) ?? notScanned()) : notScanned();
  return nameOf(value) ?? notScanned();
}

function singleDict(value) {
  if (value === undefined) return undefined;
  if (value instanceof PDFArray) return value.size() === 1 && value.lookup(0) instanceof PDFDict ? value.lookup(0) : notScanned();
  return value instanceof PDFDict ? value : notScanned();
}

function rectOf(value) {
  if (!(value instanceof PDFArray) || value.size() !== 4) notScanned();
  return value.asArray().map((v) => numberOf(v instanceof PDFRef ? notScanned() : v));
}
