import { Command } from 'commander';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { CliError } from '../../cli-error';
import type { CliIo } from '../../cli-io';
import { PASSWORD_ENV } from '../../read-password';
import { credentialSource, SERVER_ENV, TOKEN_ENV } from '../ingest/ingest-credentials';
import { DEFAULT_SERVER, isCleartextToRemote, serverUrl } from '../ingest/ingest.command';
import { MedrecClient, RequestAborted } from '../ingest/medrec-client';
import { readManifest } from '../ingest/read-manifest';
import { Destination, singleUploadDestination, stackDestination } from './destinations';
import { DONE_FOLDER, REFUSED_FOLDER, STATE_FOLDER } from './scanner-files';
import { watchScannerFolder } from './scanner-watcher';
import { JOURNAL_FILE, WatchedFolder } from './watched-folder';
import { WatchJournal } from './watch-journal';

export const DEFAULT_SETTLE_MS = 2000;

export interface WatchOptions {
  server?: string;
  username?: string;
  passwordStdin?: boolean;
  passwordFile?: string;
  /** false with --no-split. */
  split?: boolean;
  manifest?: string;
  settleMs?: string | number;
  pollMs?: string | number;
  allowInsecureHttp?: boolean;
}

/** Knobs for tests, not on the command line. */
export interface WatchTuning {
  retryBaseMs?: number;
  clientRetryBaseMs?: number;
  rescanMs?: number;
}

/**
 * `watch <folder>`: sends every file a scanner writes into the folder, once it has stopped growing,
 * and moves it to done/ or refused/. Runs until the signal is aborted (SIGTERM, SIGINT), then
 * resolves; throws for a bad invocation, or when the server refuses the credentials or the route.
 */
export async function watch(io: CliIo, folderArgument: string, options: WatchOptions, signal: AbortSignal, tuning: WatchTuning = {}): Promise<void> {
  const folder = new WatchedFolder(await existingFolder(folderArgument));
  const server = serverUrl(options.server ?? io.env[SERVER_ENV] ?? DEFAULT_SERVER);
  if (isCleartextToRemote(server)) {
    if (!options.allowInsecureHttp) {
      throw CliError.usage(
        `${server} is plain HTTP to another machine: patient data would cross the network unencrypted. Use https://, or pass --allow-insecure-http to send it anyway`,
      );
    }
    io.stderr.write(`warning: ${server} is plain HTTP: patient data will cross the network unencrypted (--allow-insecure-http)\n`);
  }
  const split = options.split !== false;
  if (!split && !options.manifest)
    throw CliError.usage('--no-split needs --manifest <file>: the manifest row named after a file gives its record its metadata');
  if (split && options.manifest) throw CliError.usage('--manifest goes with --no-split: a stack takes its metadata from its cover sheets');
  const settleMs = wholeNumber('--settle-ms', options.settleMs ?? DEFAULT_SETTLE_MS, 0, 3_600_000);
  const pollMs = options.pollMs === undefined ? undefined : wholeNumber('--poll-ms', options.pollMs, 50, 600_000);
  const credentials = credentialSource(io, options);
  const manifest = options.manifest ? resolve(options.manifest) : undefined;
  // Read once now, so that a wrong path or a broken manifest stops the command before it starts.
  if (manifest) await readManifest(manifest);

  const client = new MedrecClient(server, await credentials(), { retryBaseMs: tuning.clientRetryBaseMs, signal });
  try {
    await client.signIn();
  } catch (error) {
    // Stopped while signing in (the server unreachable and retried): nothing was sent.
    if (error instanceof RequestAborted) return;
    throw error;
  }
  const destination: Destination = manifest ? singleUploadDestination(client, manifest) : stackDestination(client);

  await folder.prepare();
  const unlock = await folder.lock();
  try {
    const journal = await WatchJournal.open(folder.journalPath);
    try {
      await watchScannerFolder({
        folder,
        destination,
        journal,
        settleMs,
        pollMs,
        rescanMs: tuning.rescanMs,
        retryBaseMs: tuning.retryBaseMs,
        log: (line) => io.stdout.write(line + '\n'),
        signal,
      });
    } finally {
      await journal.close();
    }
  } finally {
    await unlock();
  }
  io.stdout.write('stopped\n');
}

async function existingFolder(argument: string): Promise<string> {
  const folder = resolve(argument);
  const info = await stat(folder).catch(() => undefined);
  if (!info?.isDirectory()) throw CliError.usage(`${argument} is not a folder`);
  return folder;
}

function wholeNumber(option: string, value: string | number, min: number, max: number): number {
  const n = typeof value === 'number' ? value : /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw CliError.usage(`${option} must be a whole number from ${min} to ${max}`);
  return n;
}

export function watchCommand(io: CliIo): Command {
  return new Command('watch')
    .description('send every file a scanner writes into a folder, as a stack (or one record each with --no-split), then move it to done/ or refused/')
    .argument('<folder>', "the scanner's output folder")
    .option('-s, --server <url>', `server base URL (default: ${SERVER_ENV} or ${DEFAULT_SERVER})`)
    .option('-u, --username <name>', 'sign in as this account (clerk or him role)')
    .option('--password-stdin', 'read the password from the first line of standard input')
    .option('--password-file <file>', "read the password from the first line of this file (a service's credential)")
    .option('--no-split', 'send each file as one record (POST /api/records) with its manifest row, not as a stack')
    .option(
      '-m, --manifest <file>',
      'with --no-split: CSV (or JSON) with a row per file name: file, mrn, patientName, dateOfBirth, documentType, title, encounterDate',
    )
    .option('--settle-ms <ms>', 'send a file once its size and modification time have not changed for this long', String(DEFAULT_SETTLE_MS))
    .option('--poll-ms <ms>', 'look at the folder every so many ms instead of waiting for file-system events (network shares)')
    .option('--allow-insecure-http', 'allow an http:// server other than this machine (patient data unencrypted on the network)')
    .addHelpText(
      'after',
      `
Credentials: --username with the password from --password-stdin, --password-file, ${PASSWORD_ENV} or a prompt;
or, without --username, a bearer token in ${TOKEN_ENV}. Never on the command line.
Folder layout: sent files go to ${DONE_FOLDER}/, refused ones to ${REFUSED_FOLDER}/ beside <name>.reason.txt;
${STATE_FOLDER}/${JOURNAL_FILE} remembers sends under way, so a stop at any moment (kill -9 included)
sends nothing twice and loses nothing. Dotfiles, temporary names (.tmp, .part, ~...) and subfolders are ignored.
A file whose send fails for a passing reason (no answer, 5xx, 429) stays in the folder and is tried again later.
SIGTERM or SIGINT stops the watcher (exit code 0); the send under way is abandoned and resumed on the next start.
Exit codes: 0 stopped by a signal, 1 the server refused the credentials or the route, 2 bad invocation.`,
    )
    .action(async (folder: string, options: WatchOptions) => {
      const stop = new AbortController();
      const onSignal = (signal: NodeJS.Signals) => {
        io.stderr.write(`${signal}: stopping (the send under way is abandoned and resumed on the next start)\n`);
        stop.abort();
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        await watch(io, folder, options, stop.signal);
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
