/** Words for the API's codes, as people in a records department say them. */
export const DOCUMENT_TYPES: Record<string, string> = {
  'progress-note': 'Progress note',
  'discharge-summary': 'Discharge summary',
  'lab-report': 'Lab report',
  'radiology-report': 'Radiology report',
  'operative-report': 'Operative report',
  'nursing-notes': 'Nursing notes',
  'immunization-record': 'Immunization record',
  authorization: 'Authorization',
  correspondence: 'Correspondence',
  other: 'Other',
};

export const PURPOSES: Record<string, string> = {
  treatment: 'Treatment',
  payment: 'Payment',
  operations: 'Health care operations',
  legal: 'Legal',
  'patient-request': "Patient's request",
  audit: 'Audit',
  emergency: 'Emergency (break the glass)',
};

export const documentTypeLabel = (code: string): string => DOCUMENT_TYPES[code] ?? code;

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  return iso.length === 10 ? iso : new Date(iso).toLocaleString();
}

/** Why a page is in the quality-review queue, in words. */
export const REVIEW_KINDS: Record<string, string> = {
  'blank-page': 'Blank page',
  'low-confidence': 'Hard to read (low OCR confidence)',
  'skewed-page': 'Skewed page',
  'dark-page': 'Scan too dark',
  'no-cover-sheet': 'No cover sheet before these pages',
  'unreadable-code': 'Unreadable or foreign code',
  // The planner's one kind for a sheet that may not file these pages: used before, voided, or met twice in the stack.
  'cover-sheet-used': 'Cover sheet used, voided, repeated or in another stack',
  'unknown-cover-sheet': 'Unknown cover sheet',
};

export const REVIEW_STATUSES: Record<string, string> = {
  opening: 'Opening',
  open: 'Open',
  'awaiting-rescan': 'Awaiting rescan',
  resolved: 'Resolved',
};

export const REVIEW_ACTIONS: Record<string, string> = { accept: 'Accepted', rescan: 'Sent to rescan', assign: 'Assigned' };

export const reviewKindLabel = (kind: string): string => REVIEW_KINDS[kind] ?? kind;

/** Stack pages `first`–`last` in words. */
export const pageRangeLabel = (range: { first: number; last: number }): string =>
  range.first === range.last ? `page ${range.first}` : `pages ${range.first}–${range.last}`;
