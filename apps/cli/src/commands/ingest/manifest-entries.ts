import { DOCUMENT_TYPES, DomainError, isDocumentType, validateNewRecord } from '@medrec/domain';
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { RawManifestRow } from './read-manifest';

/** The metadata of one record, as POST /api/records takes it. */
export interface RecordFields {
  mrn: string;
  patientName: string;
  dateOfBirth: string;
  documentType: string;
  title: string;
  encounterDate?: string;
}

/** A manifest row that passed every check: a readable file and valid metadata. */
export interface IngestEntry {
  /** 1-based position among the manifest's rows (the header of a CSV is not counted). */
  row: number;
  /** As written in the manifest, relative to the folder: what reports name the file by. */
  file: string;
  path: string;
  size: number;
  fields: RecordFields;
}

/** A row refused before anything was uploaded. Problems name fields and rules, never values. */
export interface InvalidRow {
  row: number;
  file?: string;
  problems: string[];
}

export interface CheckedManifest {
  entries: IngestEntry[];
  invalid: InvalidRow[];
}

type Column = 'file' | keyof RecordFields;

/** Accepted column names, compared without case, spaces, '_' or '-'; the short ones are the scan fixtures' manifest format. */
const COLUMNS: Record<string, Column> = {
  file: 'file',
  mrn: 'mrn',
  patientname: 'patientName',
  patient: 'patientName',
  dateofbirth: 'dateOfBirth',
  dob: 'dateOfBirth',
  documenttype: 'documentType',
  type: 'documentType',
  title: 'title',
  encounterdate: 'encounterDate',
};

/** Checks every row against the folder and the record rules, so that all problems are listed at once. */
export async function checkManifest(folder: string, rows: readonly RawManifestRow[], today = new Date().toISOString().slice(0, 10)): Promise<CheckedManifest> {
  const entries: IngestEntry[] = [];
  const invalid: InvalidRow[] = [];
  const rowOfFile = new Map<string, number>();
  for (const [index, raw] of rows.entries()) {
    const row = index + 1;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      invalid.push({ row, problems: ['is not an object'] });
      continue;
    }
    const { values, problems } = columnValues(raw as Record<string, unknown>);
    const file = values.file;
    const fields = recordFields(values, problems, today);
    let located: { path: string; size: number } | undefined;
    if (file !== undefined) {
      located = await locateFile(folder, file, problems);
      if (located) {
        const earlier = rowOfFile.get(located.path);
        if (earlier !== undefined) problems.push(`lists the same file as row ${earlier}`);
        else rowOfFile.set(located.path, row);
      }
    }
    if (problems.length > 0 || !located || !fields || file === undefined) {
      invalid.push({ row, ...(file !== undefined ? { file } : {}), problems });
    } else {
      entries.push({ row, file, path: located.path, size: located.size, fields });
    }
  }
  return { entries, invalid };
}

/** The file a raw manifest row names, as written (trimmed), whatever the column is called; undefined if it names none. */
export function manifestRowFile(raw: RawManifestRow): string | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  return columnValues(raw as Record<string, unknown>).values.file;
}

/** A title for rows that have none (the fixture format): the document type in words, "Discharge summary". */
export function titleFromDocumentType(documentType: string): string {
  const words = documentType.replace(/-/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function columnValues(raw: Record<string, unknown>): { values: Partial<Record<Column, string>>; problems: string[] } {
  const values: Partial<Record<Column, string>> = {};
  const problems: string[] = [];
  for (const [key, value] of Object.entries(raw)) {
    const column = COLUMNS[key.toLowerCase().replace(/[\s_-]/g, '')];
    if (!column) continue; // other keys (pages, font, notes...) are the operator's own
    if (value === undefined || value === null || value === '') continue;
    if (typeof value !== 'string') {
      problems.push(`${column} must be text${column === 'mrn' ? ' (quote it, or leading zeros are lost)' : ''}`);
      continue;
    }
    const text = value.trim();
    if (text === '') continue;
    const previous = values[column];
    if (previous !== undefined && previous !== text) problems.push(`${column} is given twice with different values`);
    values[column] = text;
  }
  return { values, problems };
}

/**
 * Presence is the manifest's own concern (a missing column is named as such); the values are
 * checked by the domain's rules for a new record, the ones the server applies.
 */
function recordFields(values: Partial<Record<Column, string>>, problems: string[], today: string): RecordFields | undefined {
  const before = problems.length;
  const { mrn, patientName, dateOfBirth, documentType, encounterDate } = values;
  const missing = new Set<keyof RecordFields>();
  if (values.file === undefined) problems.push('file is missing');
  for (const field of ['mrn', 'patientName', 'dateOfBirth', 'documentType'] as const) {
    if (values[field] !== undefined) continue;
    missing.add(field);
    problems.push(`${field} is missing`);
  }
  const title = values.title ?? (documentType !== undefined && isDocumentType(documentType) ? titleFromDocumentType(documentType) : undefined);
  // Without a title of its own, a row takes the type's: no title means no valid type, already reported.
  if (title === undefined) missing.add('title');
  const fields = {
    mrn: mrn ?? '',
    patientName: patientName ?? '',
    dateOfBirth: dateOfBirth ?? '',
    documentType: documentType ?? '',
    title: title ?? '',
    ...(encounterDate !== undefined ? { encounterDate } : {}),
  };
  for (const { field, message } of domainProblems(fields, today)) {
    if (missing.has(field as keyof RecordFields)) continue;
    problems.push(`${field} ${message}${field === 'documentType' ? ` (one of ${DOCUMENT_TYPES.join(', ')})` : ''}`);
  }
  if (problems.length > before) return undefined;
  return fields;
}

/** The field errors validateNewRecord finds, as of `today` (no date of birth after it). */
function domainProblems(fields: RecordFields, today: string): { field: string; message: string }[] {
  try {
    validateNewRecord({ ...fields, at: `${today}T00:00:00.000Z` });
    return [];
  } catch (error) {
    if (error instanceof DomainError && error.kind === 'invalid') return error.errors;
    throw error;
  }
}

async function locateFile(folder: string, file: string, problems: string[]): Promise<{ path: string; size: number } | undefined> {
  if (isAbsolute(file)) {
    problems.push('file must be a path relative to the folder');
    return undefined;
  }
  const path = resolve(folder, file);
  const inside = relative(folder, path);
  if (inside === '' || inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) {
    problems.push('file must be inside the folder');
    return undefined;
  }
  try {
    const info = await stat(path);
    if (!info.isFile()) {
      problems.push('file is not a regular file');
      return undefined;
    }
    await access(path, constants.R_OK);
    return { path, size: info.size };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    problems.push(
      code === 'ENOENT' || code === 'ENOTDIR' ? 'file does not exist' : code === 'EACCES' ? 'file is not readable' : `file cannot be read (${code ?? 'error'})`,
    );
    return undefined;
  }
}
