import { crc32, deflateSync } from 'node:zlib';

/**
 * Hostile image shapes, generated in code (small, deterministic, no fixture files): pages that
 * are a pixel wide and millions long, in every format we take. Each compresses to a few KB; decoded
 * naively they cost seconds of CPU or gigabytes of memory (issue 9, defect 4).
 */

export interface HostileImage {
  name: string;
  /** What the file is: the upload's content and a name for it. */
  bytes: Buffer;
  filename: string;
  /** The reason inspection must refuse it with (422). */
  reason: 'page-too-narrow' | 'page-too-elongated' | 'too-many-pixels';
}

// ── PNG ──────────────────────────────────────────────────────────────────────────────────────────

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])));
  return Buffer.concat([head, data, crc]);
}

/**
 * A 1-bit grayscale PNG of width x height, all white. The raw scanlines (filter byte + packed bits)
 * are deflated a row-run at a time so that even 59,000,000 x 1 never needs its whole raw size.
 */
export function bilevelPng(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.writeUInt8(1, 8); // bit depth
  ihdr.writeUInt8(0, 9); // grayscale
  const rowBytes = 1 + Math.ceil(width / 8);
  const raw = Buffer.alloc(rowBytes * height, 0xff);
  for (let row = 0; row < height; row++) raw[row * rowBytes] = 0; // filter: none
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(raw, { level: 9 })),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** An 8-bit grayscale PNG of width x height, mid-gray: a plausible, valid page for the tests' uploads. */
export function grayPng(width: number, height: number, seed = 0): Buffer {
  const rowBytes = 1 + width;
  const raw = Buffer.alloc(rowBytes * height, 0x80);
  for (let row = 0; row < height; row++) raw[row * rowBytes] = 0;
  // A few pixels set from the seed, so that distinct seeds give distinct files (and hashes).
  for (let i = 0; i < 4; i++) raw[1 + ((seed * 7 + i * 131) % (rowBytes * height - 1))] = seed & 0xff;
  for (let row = 0; row < height; row++) raw[row * rowBytes] = 0;
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.writeUInt8(8, 8);
  ihdr.writeUInt8(0, 9);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(raw)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

// ── TIFF ─────────────────────────────────────────────────────────────────────────────────────────

/**
 * A little-endian 1-bit TIFF (WhiteIsZero, deflate-compressed, one strip a page) with the given
 * pages, all blank. Valid for libtiff and libvips; a few KB for any shape.
 */
export function bilevelTiff(pages: Array<{ width: number; height: number }>): Buffer {
  const parts: Buffer[] = [];
  let offset = 8;
  const header = Buffer.alloc(8);
  header.write('II', 0, 'ascii');
  header.writeUInt16LE(42, 2);
  parts.push(header);
  const strips = pages.map(({ width, height }) => deflateSync(Buffer.alloc(Math.ceil(width / 8) * height, 0), { level: 9 }));
  const stripOffsets: number[] = [];
  for (const strip of strips) {
    stripOffsets.push(offset);
    parts.push(strip);
    offset += strip.length;
    if (offset % 2) {
      parts.push(Buffer.alloc(1));
      offset += 1;
    }
  }
  header.writeUInt32LE(offset, 4); // first IFD
  pages.forEach(({ width, height }, index) => {
    const entries: Array<[tag: number, type: number, value: number]> = [
      [254, 4, pages.length > 1 ? 2 : 0], // NewSubfileType: a page of a multi-page document
      [256, 4, width],
      [257, 4, height],
      [258, 3, 1], // BitsPerSample
      [259, 3, 8], // Compression: Adobe deflate
      [262, 3, 0], // Photometric: WhiteIsZero
      [273, 4, stripOffsets[index]],
      [277, 3, 1], // SamplesPerPixel
      [278, 4, height], // RowsPerStrip
      [279, 4, strips[index].length],
    ];
    const ifd = Buffer.alloc(2 + entries.length * 12 + 4);
    ifd.writeUInt16LE(entries.length, 0);
    entries.forEach(([tag, type, value], i) => {
      const at = 2 + i * 12;
      ifd.writeUInt16LE(tag, at);
      ifd.writeUInt16LE(type, at + 2);
      ifd.writeUInt32LE(1, at + 4);
      if (type === 3) ifd.writeUInt16LE(value, at + 8);
      else ifd.writeUInt32LE(value, at + 8);
    });
    const next = index + 1 < pages.length ? offset + ifd.length : 0;
    ifd.writeUInt32LE(next, 2 + entries.length * 12);
    parts.push(ifd);
    offset += ifd.length;
  });
  return Buffer.concat(parts);
}

// ── JPEG ─────────────────────────────────────────────────────────────────────────────────────────

/**
 * A baseline grayscale JPEG of width x height (up to 65,535 each: the format's own limit), blank:
 * every 8x8 block has a DC difference of 0 and no AC coefficients, so the whole scan is a short
 * run of identical bits whatever the size (a few KB for 65,535 x 8).
 */
export function blankJpeg(width: number, height: number): Buffer {
  const segment = (marker: number, body: Buffer) => {
    const head = Buffer.from([0xff, marker, 0, 0]);
    head.writeUInt16BE(body.length + 2, 2);
    return Buffer.concat([head, body]);
  };
  const quant = Buffer.concat([Buffer.from([0x00]), Buffer.alloc(64, 1)]);
  const sof = Buffer.from([8, height >> 8, height & 0xff, width >> 8, width & 0xff, 1, 1, 0x11, 0]);
  // DC table 0: one code of length 1 for category 0. AC table 0: one code of length 1 for EOB (0x00).
  const dcTable = Buffer.concat([Buffer.from([0x00, 1]), Buffer.alloc(15), Buffer.from([0])]);
  const acTable = Buffer.concat([Buffer.from([0x10, 1]), Buffer.alloc(15), Buffer.from([0])]);
  const sos = Buffer.from([1, 1, 0x00, 0, 63, 0]);
  // Each block: DC code "0" (category 0) then AC code "0" (EOB) = 2 bits; pad with 1s.
  const blocks = Math.ceil(width / 8) * Math.ceil(height / 8);
  const scan = Buffer.alloc(Math.ceil((blocks * 2) / 8), 0x00);
  const tailBits = (blocks * 2) % 8;
  if (tailBits) scan[scan.length - 1] = 0xff >> tailBits;
  return Buffer.concat([
    Buffer.from([0xff, 0xd8]),
    segment(0xdb, quant),
    segment(0xc0, sof),
    segment(0xc4, dcTable),
    segment(0xc4, acTable),
    segment(0xda, sos),
    scan,
    Buffer.from([0xff, 0xd9]),
  ]);
}

// ── PDF ──────────────────────────────────────────────────────────────────────────────────────────

/** A one-page PDF whose page (MediaBox, in points) is widthPt x heightPt and shows a stroked line. */
export function pdfWithPage(widthPt: number, heightPt: number): Buffer {
  const content = Buffer.from(`0 0 m ${widthPt} ${heightPt} l S\n`, 'latin1');
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${widthPt} ${heightPt}] /Resources << >> /Contents 4 0 R >>`,
    `<< /Length ${content.length} >>\nstream\n${content.toString('latin1')}endstream`,
  ];
  let pdf = '%PDF-1.7\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(pdf.length);
    pdf += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = pdf.length;
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(pdf, 'latin1');
}

// ── The list ─────────────────────────────────────────────────────────────────────────────────────

let cached: HostileImage[] | undefined;

/** Every hostile shape, with the reason it must be refused for (memoized: some take ~100 ms to deflate). */
export function hostileImages(): HostileImage[] {
  cached ??= [
    { name: '1 x 5,000,000 1-bit PNG', bytes: bilevelPng(1, 5_000_000), filename: 'tall.png', reason: 'page-too-narrow' },
    { name: '59,000,000 x 1 1-bit PNG', bytes: bilevelPng(59_000_000, 1), filename: 'wide.png', reason: 'page-too-narrow' },
    { name: '1 x 59,000,000 1-bit PNG', bytes: bilevelPng(1, 59_000_000), filename: 'taller.png', reason: 'page-too-narrow' },
    { name: '40,000 x 100 PNG (400:1)', bytes: bilevelPng(40_000, 100), filename: 'strip.png', reason: 'page-too-elongated' },
    { name: '1 x 5,000,000 1-bit TIFF', bytes: bilevelTiff([{ width: 1, height: 5_000_000 }]), filename: 'tall.tif', reason: 'page-too-narrow' },
    { name: '5,000,000 x 8 1-bit TIFF', bytes: bilevelTiff([{ width: 5_000_000, height: 8 }]), filename: 'wide.tif', reason: 'page-too-narrow' },
    {
      name: 'TIFF: a letter page, then a 64 x 900,000 page',
      bytes: bilevelTiff([
        { width: 1700, height: 2200 },
        { width: 64, height: 900_000 },
      ]),
      filename: 'second-page.tif',
      reason: 'page-too-elongated',
    },
    { name: '65,500 x 8 JPEG', bytes: blankJpeg(65_500, 8), filename: 'wide.jpg', reason: 'page-too-narrow' },
    { name: '24 x 65,500 JPEG', bytes: blankJpeg(24, 65_500), filename: 'tall.jpg', reason: 'page-too-elongated' },
    { name: 'PDF with a 1 x 14,400 pt page', bytes: pdfWithPage(1, 14_400), filename: 'strip.pdf', reason: 'page-too-elongated' },
    { name: 'PDF with a 14,400 x 20 pt page', bytes: pdfWithPage(14_400, 20), filename: 'banner.pdf', reason: 'page-too-elongated' },
  ];
  return cached;
}

/** A plausible page that decodes slowly: many large blank TIFF pages (~3-8 s to decode whole). Nothing wrong with its shape. */
export function slowTiff(pages = 120): Buffer {
  return bilevelTiff(Array.from({ length: pages }, () => ({ width: 5100, height: 6600 })));
}
