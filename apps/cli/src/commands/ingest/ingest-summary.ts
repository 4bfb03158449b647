import type { InvalidRow } from './manifest-entries';

/**
 * The outcome of a batch. Files are named as in the manifest; patient data never appears, the
 * record ids do (they are what the operator needs to follow up).
 */
export interface IngestSummary {
  server: string;
  ingested: { file: string; recordId: string; sha256: string; pages: number; contentType: string; duplicateOf?: string }[];
  skipped: { file: string; recordId?: string; sha256: string; reason: SkipReason; sameAs?: string }[];
  refused: { file: string; status: number; detail: string; reason?: string }[];
  failed: { file: string; error: string; attempts: number }[];
  /** Rows left out with --skip-invalid. */
  invalid: InvalidRow[];
  /** Files not tried because the batch was interrupted. */
  notAttempted: string[];
  totals: {
    files: number;
    ingested: number;
    skipped: number;
    refused: number;
    failed: number;
    invalid: number;
    notAttempted: number;
    pages: number;
    seconds: number;
  };
}

/**
 * `already-ingested`: in the state file; `duplicate`: the server already had this content for the
 * patient (409); `same-content`: an earlier row of this manifest has the same bytes.
 */
export type SkipReason = 'already-ingested' | 'duplicate' | 'same-content';

export type SummaryLists = Omit<IngestSummary, 'totals' | 'server'>;

export function emptyLists(): SummaryLists {
  return { ingested: [], skipped: [], refused: [], failed: [], invalid: [], notAttempted: [] };
}

export function summarize(server: string, lists: SummaryLists, seconds: number): IngestSummary {
  const totals = {
    files: lists.ingested.length + lists.skipped.length + lists.refused.length + lists.failed.length + lists.invalid.length + lists.notAttempted.length,
    ingested: lists.ingested.length,
    skipped: lists.skipped.length,
    refused: lists.refused.length,
    failed: lists.failed.length,
    invalid: lists.invalid.length,
    notAttempted: lists.notAttempted.length,
    pages: lists.ingested.reduce((sum, file) => sum + file.pages, 0),
    seconds: Math.round(seconds * 10) / 10,
  };
  return { server, ...lists, totals };
}

/** Everything ingested or already there: nothing for the operator to follow up. */
export function isComplete(summary: IngestSummary): boolean {
  const { refused, failed, invalid, notAttempted } = summary.totals;
  return refused + failed + invalid + notAttempted === 0;
}

export function formatSummary(summary: IngestSummary): string {
  const t = summary.totals;
  const lines = [
    `Ingested ${t.ingested} (${t.pages} pages), skipped ${t.skipped} (already ingested), refused ${t.refused}, failed ${t.failed}` +
      (t.invalid > 0 ? `, invalid ${t.invalid}` : '') +
      (t.notAttempted > 0 ? `, not attempted ${t.notAttempted}` : '') +
      ` - ${t.files} files in ${t.seconds}s`,
  ];
  const section = (title: string, items: string[]) => {
    if (items.length > 0) lines.push(`${title}:`, ...items.map((item) => `  ${item}`));
  };
  section(
    'Refused',
    summary.refused.map((r) => `${r.file}: ${r.status} ${r.detail}${r.reason ? ` [${r.reason}]` : ''}`),
  );
  section(
    'Failed',
    summary.failed.map((f) => `${f.file}: ${f.error} (after ${f.attempts} attempt${f.attempts === 1 ? '' : 's'})`),
  );
  section('Invalid (not uploaded)', summary.invalid.map(describeInvalidRow));
  section('Not attempted (interrupted)', summary.notAttempted);
  return lines.join('\n') + '\n';
}

/** One line per invalid row, for the report that stops a batch before it starts. */
export function formatInvalidRows(rows: readonly InvalidRow[]): string {
  return rows.map((row) => `  ${describeInvalidRow(row)}\n`).join('');
}

function describeInvalidRow(row: InvalidRow): string {
  return `row ${row.row}${row.file ? ` (${row.file})` : ''}: ${row.problems.join('; ')}`;
}
