import { importEsm } from '../esm';

export const DOCUMENT_CONTENT_TYPES = ['application/pdf', 'image/tiff', 'image/png', 'image/jpeg'] as const;
export type DocumentContentType = (typeof DOCUMENT_CONTENT_TYPES)[number];

export const isDocumentContentType = (value: string): value is DocumentContentType => (DOCUMENT_CONTENT_TYPES as readonly string[]).includes(value);

type FileTypeModule = typeof import('file-type');

/**
 * The content type from the file's leading bytes (magic numbers), never from its name. Returns
 * undefined for anything that is not one of the document types we take (text, archives, APNG...).
 */
export async function detectDocumentContentType(filePath: string): Promise<DocumentContentType | undefined> {
  const { fileTypeFromFile } = await importEsm<FileTypeModule>('file-type');
  const detected = await fileTypeFromFile(filePath);
  return detected && isDocumentContentType(detected.mime) ? detected.mime : undefined;
}
