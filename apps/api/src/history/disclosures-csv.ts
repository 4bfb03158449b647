import type { Disclosure } from '@medrec/read-models';

const COLUMNS = [
  'date',
  'recipient_name',
  'recipient_address',
  'description',
  'purpose',
  'record_id',
  'versions',
  'document_type',
  'authorization_reference',
  'released_by',
  'release_id',
] as const;

/**
 * One CSV cell (RFC 4180): quoted when it holds a quote, comma, or line break, quotes doubled.
 * Cells a spreadsheet would take for a formula (starting with = + - @, or a tab or carriage
 * return) are prefixed with a single quote first (OWASP: CSV injection).
 */
export function csvCell(value: unknown): string {
  let text = textOf(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The accounting of disclosures as CSV: a header row, then one row per release, CRLF line ends. */
export function disclosuresCsv(disclosures: Disclosure[]): string {
  const rows = disclosures.map((d) => [
    d.date,
    d.recipient.name,
    d.recipient.address,
    d.description,
    d.purpose,
    d.recordId,
    d.versions.join(' '),
    d.documentType,
    d.authorizationReference,
    d.releasedBy,
    d.releaseId,
  ]);
  return [COLUMNS as readonly unknown[], ...rows].map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

function textOf(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}
