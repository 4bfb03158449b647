import { Command } from 'commander';
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CliError } from '../../cli-error';
import type { CliIo } from '../../cli-io';
import { PASSWORD_ENV } from '../../read-password';
import { credentialSource, SERVER_ENV, TOKEN_ENV } from './ingest-credentials';
import { createIngestProgress } from './ingest-progress';
import { DEFAULT_STATE_FILE, IngestState } from './ingest-state';
import { formatInvalidRows, formatSummary, IngestSummary, isComplete } from './ingest-summary';
import { checkManifest } from './manifest-entries';
import { MedrecClient } from './medrec-client';
import { readManifest } from './read-manifest';
import { runIngest } from './run-ingest';

export const DEFAULT_SERVER = 'http://localhost:3000';
const MAX_CONCURRENCY = 16;

export interface IngestOptions {
  manifest: string;
  server?: string;
  username?: string;
  passwordStdin?: boolean;
  passwordFile?: string;
  state?: string;
  /** As given on the command line, or a number when called directly. */
  concurrency?: string | number;
  skipInvalid?: boolean;
  json?: boolean;
  /** Consent to send patient data over plain HTTP to a host other than this machine. */
  allowInsecureHttp?: boolean;
}

/** Knobs for tests and the process shell, not on the command line. */
export interface IngestTuning {
  retryBaseMs?: number;
  progressIntervalMs?: number;
  signal?: AbortSignal;
}

/**
 * `ingest <folder> --manifest <file>`: uploads every file the manifest lists through the HTTP API
 * and prints a summary. Resolves with the summary when every file was ingested or already there;
 * otherwise prints the summary and throws (exit code 1), or, for a bad invocation or manifest,
 * throws before uploading anything (exit code 2).
 */
export async function ingest(io: CliIo, folderArgument: string, options: IngestOptions, tuning: IngestTuning = {}): Promise<IngestSummary> {
  const folder = await existingFolder(folderArgument);
  const server = serverUrl(options.server ?? io.env[SERVER_ENV] ?? DEFAULT_SERVER);
  if (isCleartextToRemote(server)) {
    if (!options.allowInsecureHttp) {
      throw CliError.usage(
        `${server} is plain HTTP to another machine: patient data would cross the network unencrypted. Use https://, or pass --allow-insecure-http to send it anyway`,
      );
    }
    io.stderr.write(`warning: ${server} is plain HTTP: patient data will cross the network unencrypted (--allow-insecure-http)\n`);
  }
  const concurrency = parseConcurrency(options.concurrency ?? 2);
  const credentials = credentialSource(io, options);

  const rows = await readManifest(resolve(options.manifest));
  if (rows.length === 0) throw CliError.usage('The manifest lists no files');
  const { entries, invalid } = await checkManifest(folder, rows);
  if (invalid.length > 0 && !options.skipInvalid) {
    io.stderr.write(`The manifest has ${invalid.length} invalid row${invalid.length === 1 ? '' : 's'}; nothing was uploaded:\n${formatInvalidRows(invalid)}`);
    throw CliError.usage('Fix the manifest, or pass --skip-invalid to ingest the valid rows only');
  }
  const state = await IngestState.open(options.state ? resolve(options.state) : join(folder, DEFAULT_STATE_FILE), server);

  const client = new MedrecClient(server, await credentials(), { retryBaseMs: tuning.retryBaseMs });
  await client.signIn();

  const progress = createIngestProgress(io.stderr, { intervalMs: tuning.progressIntervalMs });
  const { summary, error } = await runIngest(entries, invalid, { client, state, progress, concurrency, signal: tuning.signal });
  io.stdout.write(options.json ? JSON.stringify(summary) + '\n' : formatSummary(summary));
  if (error) throw error;
  if (!isComplete(summary)) {
    const { files, ingested, skipped, failed, notAttempted } = summary.totals;
    const retry = failed + notAttempted > 0 ? '; a re-run retries the failed ones and skips those already ingested' : '';
    throw new CliError(`${files - ingested - skipped} of ${files} files were not ingested (see the summary)${retry}`);
  }
  return summary;
}

async function existingFolder(argument: string): Promise<string> {
  const folder = resolve(argument);
  const info = await stat(folder).catch(() => undefined);
  if (!info?.isDirectory()) throw CliError.usage(`${argument} is not a folder`);
  return folder;
}

/** The server's base URL, without a trailing slash; also the identity the state file is tied to. */
export function serverUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw CliError.usage(`--server must be a URL such as ${DEFAULT_SERVER}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw CliError.usage('--server must be an http:// or https:// URL');
  if (url.username || url.password) throw CliError.usage('--server must not carry credentials; use --username or MEDREC_TOKEN');
  if (url.search || url.hash) throw CliError.usage('--server must not have a query string or fragment');
  return url.origin + url.pathname.replace(/\/+$/, '');
}

function parseConcurrency(value: string | number): number {
  const n = typeof value === 'number' ? value : /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_CONCURRENCY) throw CliError.usage(`--concurrency must be a whole number from 1 to ${MAX_CONCURRENCY}`);
  return n;
}

/** http:// to anything but the loopback interface (localhost, 127.0.0.0/8, [::1]). */
export function isCleartextToRemote(server: string): boolean {
  const { protocol, hostname } = new URL(server);
  return protocol === 'http:' && !/^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i.test(hostname);
}

export function ingestCommand(io: CliIo): Command {
  return new Command('ingest')
    .description('upload a folder of scanned documents listed in a manifest, through the HTTP API')
    .argument('<folder>', 'folder holding the files; manifest paths are relative to it')
    .requiredOption('-m, --manifest <file>', 'JSON array or CSV with a header row: file, mrn, patientName, dateOfBirth, documentType, title, encounterDate')
    .option('-s, --server <url>', `server base URL (default: ${SERVER_ENV} or ${DEFAULT_SERVER})`)
    .option('-u, --username <name>', 'sign in as this account (clerk or him role)')
    .option('--password-stdin', 'read the password from the first line of standard input')
    .option('--password-file <file>', 'read the password from the first line of this file')
    .option('--state <file>', `where ingested files are remembered (default: <folder>/${DEFAULT_STATE_FILE})`)
    .option('-c, --concurrency <n>', 'uploads at a time', '2')
    .option('--skip-invalid', 'ingest the valid rows even if others are invalid')
    .option('--json', 'print the summary as JSON')
    .option('--allow-insecure-http', 'allow an http:// server other than this machine (patient data unencrypted on the network)')
    .addHelpText(
      'after',
      `
Credentials: --username with the password from --password-stdin or --password-file, else ${PASSWORD_ENV}, else a prompt;
or, without --username, a bearer token in ${TOKEN_ENV}.
The manifest may also use the short names patient, dob and type; a missing title is made from the type.
Files already ingested (same content, per the state file or the server) are skipped, so a batch can be
re-run after an interruption. Refused files are listed with the server's reason.
A plain http:// server is refused unless it is this machine (localhost, 127.x.x.x, [::1]) or
--allow-insecure-http is given.
Exit codes: 0 all ingested or skipped, 1 some refused or failed, 2 bad invocation or manifest.`,
    )
    .action(async (folder: string, options: IngestOptions) => {
      const interrupt = new AbortController();
      const onSigint = () => {
        io.stderr.write('\nInterrupted: finishing the uploads under way (Ctrl-C again to stop at once)\n');
        interrupt.abort();
      };
      process.once('SIGINT', onSigint);
      try {
        await ingest(io, folder, options, { signal: interrupt.signal });
      } finally {
        process.off('SIGINT', onSigint);
      }
    });
}
