import { open } from 'node:fs/promises';

/** Width and height of one page, as its header states them (nothing decoded). */
export interface PageSize {
  width: number;
  height: number;
}

type ImageContentType = 'image/png' | 'image/jpeg' | 'image/tiff';

/** Random access to the first bytes of a file or buffer: reads past the end come back short. */
interface ByteSource {
  read(offset: number, length: number): Promise<Buffer>;
  close(): Promise<void>;
}

/** JPEG files put APPn segments (EXIF, ICC, XMP) before the frame header; never read more than this many segments. */
const MAX_JPEG_SEGMENTS = 512;

/**
 * The page sizes an image's headers state, read with a few small reads and no decoding: PNG's IHDR,
 * JPEG's frame header (SOFn), every TIFF directory (IFD) up to `maxPages` of them. Cheap for any
 * file, however its pixels are compressed: what page-shape and pixel limits are checked against
 * before any decode. Undefined when the headers cannot be read this way (BigTIFF, a JPEG whose
 * height comes later in a DNL marker, a damaged header): the caller then relies on libvips's own
 * header reading (sharp's metadata()), which does not decode either.
 */
export async function readImageHeader(source: string | Buffer, contentType: ImageContentType, maxPages: number): Promise<PageSize[] | undefined> {
  const bytes = await byteSource(source);
  try {
    switch (contentType) {
      case 'image/png':
        return await pngHeader(bytes);
      case 'image/jpeg':
        return await jpegHeader(bytes);
      case 'image/tiff':
        return await tiffHeader(bytes, maxPages);
    }
  } finally {
    await bytes.close();
  }
}

async function byteSource(source: string | Buffer): Promise<ByteSource> {
  if (Buffer.isBuffer(source)) {
    return { read: async (offset, length) => source.subarray(offset, offset + length), close: async () => undefined };
  }
  const handle = await open(source, 'r');
  return {
    async read(offset, length) {
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, offset);
      return buffer.subarray(0, bytesRead);
    },
    close: () => handle.close(),
  };
}

async function pngHeader(bytes: ByteSource): Promise<PageSize[] | undefined> {
  // Signature (8), then IHDR first: length (4), "IHDR", width (4), height (4).
  const head = await bytes.read(0, 24);
  if (head.length < 24 || head.toString('ascii', 12, 16) !== 'IHDR') return undefined;
  return [{ width: head.readUInt32BE(16), height: head.readUInt32BE(20) }];
}

const isStartOfFrame = (marker: number) => marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;

async function jpegHeader(bytes: ByteSource): Promise<PageSize[] | undefined> {
  let offset = 2; // after SOI
  for (let segment = 0; segment < MAX_JPEG_SEGMENTS; segment++) {
    const head = await bytes.read(offset, 4);
    if (head.length < 2 || head[0] !== 0xff) return undefined;
    const marker = head[1];
    if (marker === 0xff) {
      offset += 1; // fill byte
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      offset += 2; // markers without a length
      continue;
    }
    if (head.length < 4 || marker === 0xd9 || marker === 0xda) return undefined; // end of image, or scan data before any frame header
    const length = head.readUInt16BE(2);
    if (isStartOfFrame(marker)) {
      const frame = await bytes.read(offset + 4, 5);
      if (frame.length < 5) return undefined;
      const height = frame.readUInt16BE(1);
      const width = frame.readUInt16BE(3);
      // Height 0: defined later by a DNL marker; let libvips read it.
      return height === 0 ? undefined : [{ width, height }];
    }
    offset += 2 + length;
  }
  return undefined;
}

async function tiffHeader(bytes: ByteSource, maxPages: number): Promise<PageSize[] | undefined> {
  const head = await bytes.read(0, 8);
  if (head.length < 8) return undefined;
  const order = head.toString('ascii', 0, 2);
  if (order !== 'II' && order !== 'MM') return undefined;
  const little = order === 'II';
  const u16 = (b: Buffer, at: number) => (little ? b.readUInt16LE(at) : b.readUInt16BE(at));
  const u32 = (b: Buffer, at: number) => (little ? b.readUInt32LE(at) : b.readUInt32BE(at));
  if (u16(head, 2) !== 42) return undefined; // 43 is BigTIFF: left to libvips
  const pages: PageSize[] = [];
  const seen = new Set<number>();
  for (let ifd = u32(head, 4); ifd !== 0 && pages.length < maxPages;) {
    if (seen.has(ifd)) return undefined; // a loop of directories: damaged
    seen.add(ifd);
    const countBytes = await bytes.read(ifd, 2);
    if (countBytes.length < 2) return undefined;
    const count = u16(countBytes, 0);
    const entries = await bytes.read(ifd + 2, count * 12 + 4);
    if (entries.length < count * 12 + 4) return undefined;
    let width: number | undefined;
    let height: number | undefined;
    for (let i = 0; i < count; i++) {
      const at = i * 12;
      const tag = u16(entries, at);
      if (tag !== 256 && tag !== 257) continue;
      const type = u16(entries, at + 2);
      const value = type === 3 ? u16(entries, at + 8) : type === 4 ? u32(entries, at + 8) : undefined;
      if (tag === 256) width = value;
      else height = value;
    }
    if (width === undefined || height === undefined) return undefined;
    pages.push({ width, height });
    ifd = u32(entries, count * 12);
  }
  return pages;
}
