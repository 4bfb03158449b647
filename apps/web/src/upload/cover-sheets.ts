import { authHeaders } from '../api/client';
import { ApiError, problemOf } from '../api/problem';
import type { CoverSheetFields } from '../api/types';

/** A printed PDF and the ids of the sheets it holds (from the answer's headers: ids only, no patient data). */
export interface PrintedSheets {
  pdf: Blob;
  ids: string[];
  batchId?: string;
}

/** `POST /api/cover-sheets`: one sheet. */
export async function printCoverSheet(fields: CoverSheetFields): Promise<PrintedSheets> {
  const response = await send('/api/cover-sheets', { body: JSON.stringify(fields), headers: { 'Content-Type': 'application/json' } });
  const id = response.headers.get('X-Cover-Sheet-Id');
  return { pdf: await response.blob(), ids: id ? [id] : [] };
}

/** `POST /api/cover-sheets/batch`: the sheets of a CSV, one PDF, in the order of its rows. */
export async function printCoverSheetBatch(csv: File): Promise<PrintedSheets> {
  const form = new FormData();
  form.append('file', csv, csv.name);
  const response = await send('/api/cover-sheets/batch', { body: form });
  const ids = (response.headers.get('X-Cover-Sheet-Ids') ?? '').split(',').filter((id) => id !== '');
  return { pdf: await response.blob(), ids, batchId: response.headers.get('X-Cover-Sheet-Batch-Id') ?? undefined };
}

async function send(path: string, init: { body: BodyInit; headers?: Record<string, string> }): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(path, {
      method: 'POST',
      body: init.body,
      headers: { ...authHeaders(), ...init.headers, Accept: 'application/pdf, application/problem+json' },
    });
  } catch {
    throw new ApiError({ status: 0, detail: 'The server could not be reached. Check the connection and try again.' });
  }
  if (!response.ok) throw new ApiError(await problemOf(response));
  return response;
}

/**
 * A refused batch's problems by spreadsheet row (the header is row 1), from the `errors` the
 * server names `row N: field`; problems of the file itself (a column, the size) under row 0.
 */
export function rowErrors(errors: { field: string; message: string }[] | undefined): { row: number; problems: string[] }[] {
  const byRow = new Map<number, string[]>();
  for (const e of errors ?? []) {
    // `row 1` alone is the header row (a column unknown, missing or repeated).
    const match = /^row (\d+)(?:: (.*))?$/.exec(e.field);
    const row = match ? Number(match[1]) : 0;
    const words = `${match ? (match[2] ?? '') : e.field} ${e.message}`.trim();
    byRow.set(row, [...(byRow.get(row) ?? []), words]);
  }
  return [...byRow.entries()].sort(([a], [b]) => a - b).map(([row, problems]) => ({ row, problems }));
}
