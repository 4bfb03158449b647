import { Command } from 'commander';
import { CALENDAR_DATE_RULE, DOCUMENT_TYPE_RULE, isCalendarDate, isDocumentType } from '@medrec/domain';
import { CliError } from '../../cli-error';
import type { CliIo } from '../../cli-io';
import { PASSWORD_ENV } from '../../read-password';
import { credentialSource, SERVER_ENV, TOKEN_ENV } from '../ingest/ingest-credentials';
import { DEFAULT_SERVER, isCleartextToRemote, serverUrl } from '../ingest/ingest.command';
import { ApiResponse, describeProblem, MedrecClient, Problem } from '../ingest/medrec-client';

/** The options every command that talks to the HTTP API takes, as `ingest` does. */
export interface ConnectionOptions {
  server?: string;
  username?: string;
  passwordStdin?: boolean;
  allowInsecureHttp?: boolean;
  json?: boolean;
}

/** Knobs for tests, not on the command line. */
export interface ConnectionTuning {
  retryBaseMs?: number;
}

/** Adds --server, --username, --password-stdin, --allow-insecure-http and --json, and the help on credentials and exit codes. */
export function withConnectionOptions(command: Command, roles: string): Command {
  return command
    .option('-s, --server <url>', `server base URL (default: ${SERVER_ENV} or ${DEFAULT_SERVER})`)
    .option('-u, --username <name>', `sign in as this account (${roles})`)
    .option('--password-stdin', 'read the password from the first line of standard input')
    .option('--json', 'print the answer as JSON')
    .option('--allow-insecure-http', 'allow an http:// server other than this machine (unencrypted on the network)')
    .addHelpText(
      'after',
      `
Credentials: --username with the password from --password-stdin, else ${PASSWORD_ENV}, else a prompt;
or, without --username, a bearer token in ${TOKEN_ENV}. A plain http:// server is refused unless it is
this machine (localhost, 127.x.x.x, [::1]) or --allow-insecure-http is given.
Exit codes: 0 done, 1 refused or failed (the server's reason is printed), 2 bad invocation.`,
    );
}

/** Checks the server address and the credentials' source, then signs in (so bad credentials stop the command before it acts). */
export async function connect(io: CliIo, options: ConnectionOptions, tuning: ConnectionTuning = {}): Promise<MedrecClient> {
  const server = serverUrl(options.server ?? io.env[SERVER_ENV] ?? DEFAULT_SERVER);
  if (isCleartextToRemote(server)) {
    if (!options.allowInsecureHttp) {
      throw CliError.usage(
        `${server} is plain HTTP to another machine: credentials and records would cross the network unencrypted. Use https://, or pass --allow-insecure-http`,
      );
    }
    io.stderr.write(`warning: ${server} is plain HTTP: everything crosses the network unencrypted (--allow-insecure-http)\n`);
  }
  const credentials = credentialSource(io, options);
  const client = new MedrecClient(server, await credentials(), { retryBaseMs: tuning.retryBaseMs });
  await client.signIn();
  return client;
}

/**
 * The body of a successful answer; any other status becomes a CliError with the server's reason:
 * a 400 is a bad invocation (exit 2), the rest (403, 404, 409, 410...) a refusal (exit 1).
 */
export function expectSuccess<T>(res: ApiResponse, what: string): T {
  if (res.status >= 200 && res.status < 300) return res.body as T;
  const problem = (res.body && typeof res.body === 'object' && !Buffer.isBuffer(res.body) ? res.body : {}) as Problem;
  const reason = describeProblem(problem) || `HTTP ${res.status}`;
  if (res.status === 400) throw CliError.usage(`The server refused to ${what} (400): ${reason}`);
  if (res.status === 403) throw new CliError(`The account may not ${what} (403): ${reason}`);
  if (res.status === 404) throw new CliError(`Could not ${what}: not found (404): ${reason}`);
  throw new CliError(`Could not ${what} (${res.status}): ${reason}`);
}

/** A day given on the command line: YYYY-MM-DD and a real date, else a usage error. */
export function dayOption(value: string | undefined, flag: string): string {
  if (value === undefined || !isCalendarDate(value)) throw CliError.usage(`${flag} ${CALENDAR_DATE_RULE}`);
  return value;
}

export function documentTypeOption(value: string | undefined): string | undefined {
  if (value !== undefined && !isDocumentType(value)) throw CliError.usage(`--document-type ${DOCUMENT_TYPE_RULE}`);
  return value;
}

/** Columns padded to their widest cell; the last column is not padded. */
export function formatTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd() + '\n';
  return line(headers) + rows.map(line).join('');
}
