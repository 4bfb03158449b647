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
