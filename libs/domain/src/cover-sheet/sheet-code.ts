/**
 * What a cover sheet's or a separator sheet's QR code holds: an opaque id and nothing else, so that
 * a code photographed, copied or misread never discloses a patient. The details live in the
 * cover sheet's stream, sealed with its own key.
 */
export const COVER_SHEET_CODE_PREFIX = 'MEDREC-CS:';
export const SEPARATOR_CODE = 'MEDREC-SEP';

/** What one decoded code says. `unknown` carries the text only when it is not ours to interpret. */
export type SheetCode = { kind: 'cover-sheet'; id: string } | { kind: 'separator' } | { kind: 'unknown'; text?: string };

/** The canonical, lowercase form of a UUID, as randomUUID() writes it. */
const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const coverSheetCode = (coverSheetId: string): string => {
  if (!CANONICAL_UUID.test(coverSheetId)) throw new Error('A cover sheet id is a lowercase UUID');
  return `${COVER_SHEET_CODE_PREFIX}${coverSheetId}`;
};

/**
 * Reads a decoded code strictly: the exact prefix and a canonical UUID, nothing before or after.
 * A code that only resembles ours (a truncated id, other case, trailing bytes) is `unknown`, never
 * a cover sheet: a wrong id would file a document under the wrong patient.
 */
export function parseSheetCode(text: string): SheetCode {
  if (text === SEPARATOR_CODE) return { kind: 'separator' };
  if (text.startsWith(COVER_SHEET_CODE_PREFIX)) {
    const id = text.slice(COVER_SHEET_CODE_PREFIX.length);
    // Ours but malformed: no text is handed on, it could be a damaged id.
    return CANONICAL_UUID.test(id) ? { kind: 'cover-sheet', id } : { kind: 'unknown' };
  }
  if (text.startsWith('MEDREC-')) return { kind: 'unknown' };
  return { kind: 'unknown', text };
}
