import { parseCsv } from './csv';

/** A new record's fields as the upload form holds them. */
export interface RecordFields {
  mrn: string;
  patientName: string;
  dateOfBirth: string;
  documentType: string;
  title: string;
  encounterDate: string;
}

export const EMPTY_FIELDS: RecordFields = { mrn: '', patientName: '', dateOfBirth: '', documentType: '', title: '', encounterDate: '' };

/** The manifest columns the CLI's `ingest` reads, with the same aliases. */
const COLUMNS: Record<keyof RecordFields, string[]> = {
  mrn: ['mrn'],
  patientName: ['patientName', 'patient'],
  dateOfBirth: ['dateOfBirth', 'dob'],
  documentType: ['documentType', 'type'],
  title: ['title'],
  encounterDate: ['encounterDate'],
};

/** A manifest CSV's rows by file name (column `file`). */
export function manifestRows(csv: string): Map<string, Partial<RecordFields>> {
  const byFile = new Map<string, Partial<RecordFields>>();
  for (const row of parseCsv(csv)) {
    const file = row.file ?? row.filename;
    if (!file) continue;
    const fields: Partial<RecordFields> = {};
    for (const [field, aliases] of Object.entries(COLUMNS) as [keyof RecordFields, string[]][]) {
      const value = aliases.map((a) => row[a]).find((v) => v !== undefined && v !== '');
      if (value !== undefined) fields[field] = value;
    }
    byFile.set(file.split(/[\\/]/).pop()!, fields);
  }
  return byFile;
}

/** What is missing before a file can be sent, in words (the server checks everything again). */
export function missingFields(fields: RecordFields): string[] {
  const missing: string[] = [];
  if (!fields.mrn.trim()) missing.push('MRN');
  if (!fields.patientName.trim()) missing.push('Patient name');
  if (!fields.dateOfBirth) missing.push('Date of birth');
  if (!fields.documentType) missing.push('Document type');
  if (!fields.title.trim()) missing.push('Title');
  return missing;
}
