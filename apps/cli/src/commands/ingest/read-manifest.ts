import { CsvError, parse } from 'csv-parse';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { CliError } from '../../cli-error';

/** One manifest row as written: for CSV an object keyed by the header, for JSON whatever the array holds. */
export type RawManifestRow = unknown;

/** Largest JSON manifest read whole; CSV manifests are streamed and have no such limit. */
const MAX_JSON_BYTES = 64 * 1024 * 1024;

/**
 * The rows of a manifest: a JSON array of objects, or CSV with a header row. The format comes from
 * the extension (.json, .csv), else from the first character of the file.
 */
export async function readManifest(path: string): Promise<RawManifestRow[]> {
  const format = await manifestFormat(path);
  return format === 'json' ? readJsonManifest(path) : readCsvManifest(path);
}

async function manifestFormat(path: string): Promise<'json' | 'csv'> {
  const extension = extname(path).toLowerCase();
  if (extension === '.json') return 'json';
  if (extension === '.csv') return 'csv';
  const start = (await readStart(path, 512)).replace(/^\uFEFF/, '').trimStart();
  return start.startsWith('[') ? 'json' : 'csv';
}

async function readJsonManifest(path: string): Promise<RawManifestRow[]> {
  const text = await readText(path, MAX_JSON_BYTES);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    // The parser's message gives a position, never the content around it.
    throw CliError.usage(`The manifest is not valid JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(parsed)) throw CliError.usage('A JSON manifest must be an array of objects, one per file');
  // Entries that are not objects are kept: validation reports them by row number with the others.
  return parsed as unknown[];
}

async function readCsvManifest(path: string): Promise<RawManifestRow[]> {
  const rows: RawManifestRow[] = [];
  const parser = parse({ columns: (header: string[]) => header.map((name) => name.trim()), bom: true, trim: true, skip_empty_lines: true });
  const source = createReadStream(path);
  // pipe() does not forward errors: without this a missing file would leave the parser waiting.
  source.on('error', (error) => parser.destroy(error));
  source.pipe(parser);
  try {
    for await (const row of parser) rows.push(row as RawManifestRow);
  } catch (error) {
    if (!(error instanceof CsvError)) throw openError(error);
    // The code and line only: some CsvError messages quote the offending field.
    const line = typeof error.lines === 'number' ? ` at line ${error.lines}` : '';
    throw CliError.usage(`The manifest is not valid CSV${line} (${error.code})`);
  }
  return rows;
}

async function readText(path: string, maxBytes: number): Promise<string> {
  try {
    const buffer = await readFile(path);
    if (buffer.length > maxBytes) throw CliError.usage(`The manifest is larger than ${maxBytes} bytes; use CSV for very large batches`);
    return buffer.toString('utf8');
  } catch (error) {
    throw error instanceof CliError ? error : openError(error);
  }
}

async function readStart(path: string, bytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of createReadStream(path, { start: 0, end: bytes - 1 })) chunks.push(chunk as Buffer);
  } catch (error) {
    throw openError(error);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function openError(error: unknown): CliError {
  const code = isNodeError(error) ? error.code : undefined;
  const why =
    code === 'ENOENT' ? 'it does not exist' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (code ?? 'unreadable');
  return CliError.usage(`Cannot read the manifest: ${why}`);
}

function isNodeError(error: unknown): error is NodeJS.ErrnoException {
  // Not `instanceof Error`: errors from Node's core may come from another realm (as under jest).
  return typeof error === 'object' && error !== null && typeof (error as NodeJS.ErrnoException).code === 'string';
}
