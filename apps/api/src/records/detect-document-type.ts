import { HttpException } from '@nestjs/common';

/**
 * Content type from the leading bytes, never from the file name or the declared type. The full
 * inspection (limits, decoding checks, encrypted PDFs) comes with the ingestion pipeline.
 */
const SIGNATURES: Array<{ contentType: string; bytes: number[] }> = [
  { contentType: 'application/pdf', bytes: [0x25, 0x50, 0x44, 0x46, 0x2d] }, // %PDF-
  { contentType: 'image/tiff', bytes: [0x49, 0x49, 0x2a, 0x00] }, // II*\0
  { contentType: 'image/tiff', bytes: [0x4d, 0x4d, 0x00, 0x2a] }, // MM\0*
  { contentType: 'image/png', bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
  { contentType: 'image/jpeg', bytes: [0xff, 0xd8, 0xff] },
];

export function detectDocumentType(bytes: Buffer): { contentType: string } {
  if (bytes.length === 0) {
    throw new HttpException('The file is empty', 422);
  }
  const match = SIGNATURES.find((s) => s.bytes.every((b, i) => bytes[i] === b));
  if (!match) throw new HttpException('The file is not a PDF, TIFF, PNG or JPEG document', 415);
  return { contentType: match.contentType };
}
