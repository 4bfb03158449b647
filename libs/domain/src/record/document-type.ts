export const DOCUMENT_TYPES = [
  'progress-note',
  'discharge-summary',
  'lab-report',
  'radiology-report',
  'operative-report',
  'nursing-notes',
  'immunization-record',
  'authorization',
  'correspondence',
  'other',
] as const;
export type DocumentType = (typeof DOCUMENT_TYPES)[number];
export const isDocumentType = (value: unknown): value is DocumentType => DOCUMENT_TYPES.includes(value as DocumentType);

export const AMENDMENT_KINDS = ['correction', 'addendum', 'late-entry', 'patient-requested'] as const;
export type AmendmentKind = (typeof AMENDMENT_KINDS)[number];
export const isAmendmentKind = (value: unknown): value is AmendmentKind => AMENDMENT_KINDS.includes(value as AmendmentKind);
