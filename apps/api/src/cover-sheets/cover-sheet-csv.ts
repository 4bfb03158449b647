import { CsvError, parse } from 'csv-parse/sync';
import { CoverSheetDetails, DomainError, FieldError, validateCoverSheetDetails } from '@medrec/domain';

/** The most sheets one CSV prints: a clinic's day; a longer list is sent in several files. */
export const MAX_BATCH_SHEETS = 200;
/** A CSV of MAX_BATCH_SHEETS rows of the longest values allowed stays well under this. */
export const MAX_BATCH_CSV_BYTES = 512 * 1024;

const REQUIRED = ['mrn', 'patientName', 'dateOfBirth', 'documentType'] as const;
const OPTIONAL = ['title', 'encounterDate'] as const;
const COLUMNS: readonly string[] = [...REQUIRED, ...OPTIONAL];

/**
 * The rows of a batch CSV (a header row naming the columns of POST /api/cover-sheets, then a row
 * a sheet), every row checked before any sheet is issued. An empty optional cell is absent. Every
 * problem of every row is reported at once, as `row N: field` with N the row number a spreadsheet
 * shows (the header is row 1); no value is ever quoted, they are PHI.
 */
export function parseCoverSheetCsv(csv: Buffer): CoverSheetDetails[] {
  if (csv.length > MAX_BATCH_CSV_BYTES) throw DomainError.invalid([{ field: 'file', message: `must be a CSV of at most ${MAX_BATCH_CSV_BYTES} bytes` }]);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(csv);
  } catch {
    throw DomainError.invalid([{ field: 'file', message: 'must be UTF-8 text' }]);
  }
  let records: string[][];
  try {
    records = parse(text, { bom: true, trim: true, skip_empty_lines: true, relax_column_count: false });
  } catch (error) {
    // The code and line only: some CsvError messages quote the offending field.
    const line = error instanceof CsvError && typeof error.lines === 'number' ? ` at row ${error.lines}` : '';
    throw DomainError.invalid([{ field: 'file', message: `must be CSV with the same number of cells in every row (unreadable${line})` }]);
  }
  const [header, ...rows] = records;
  if (!header) throw DomainError.invalid([{ field: 'file', message: 'must have a header row and at least one row' }]);
  const unknown = header.filter((name) => !COLUMNS.includes(name));
  const missing = REQUIRED.filter((name) => !header.includes(name));
  const duplicated = header.filter((name, i) => header.indexOf(name) !== i);
  const headerErrors: FieldError[] = [
    ...(unknown.length > 0 ? [{ field: 'row 1', message: `has columns that are not taken (${unknown.length}); the columns are ${COLUMNS.join(', ')}` }] : []),
    ...missing.map((name) => ({ field: 'row 1', message: `lacks the column ${name}` })),
    ...(duplicated.length > 0 ? [{ field: 'row 1', message: 'names a column twice' }] : []),
  ];
  if (headerErrors.length > 0) throw new DomainError('invalid', 'The header row of the CSV is not the one expected: nothing was issued', headerErrors);
  if (rows.length === 0) throw DomainError.invalid([{ field: 'file', message: 'must have at least one row under the header' }]);
  if (rows.length > MAX_BATCH_SHEETS)
    throw DomainError.invalid([{ field: 'file', message: `must have at most ${MAX_BATCH_SHEETS} rows; send a longer list in several files` }]);

  const sheets: CoverSheetDetails[] = [];
  const errors: FieldError[] = [];
  const badRows: number[] = [];
  rows.forEach((cells, index) => {
    const row = index + 2;
    const cell = (name: string): string | undefined => {
      const value = cells[header.indexOf(name)];
      return value === undefined || value === '' ? undefined : value;
    };
    const details = Object.fromEntries(COLUMNS.map((name) => [name, cell(name)]).filter(([, value]) => value !== undefined)) as Partial<CoverSheetDetails>;
    try {
      validateCoverSheetDetails(details);
      sheets.push(details as CoverSheetDetails);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      badRows.push(row);
      errors.push(...error.errors.map((e) => ({ field: `row ${row}: ${e.field}`, message: e.message })));
    }
  });
  if (errors.length > 0) {
    throw new DomainError('invalid', `Invalid row(s) ${badRows.join(', ')} (the header is row 1): nothing was issued`, errors, { rows: badRows });
  }
  return sheets;
}
