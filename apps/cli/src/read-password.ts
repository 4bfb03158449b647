import { passwordPolicyProblem } from '@medrec/auth/password-policy';
import { DomainError, PASSWORD_MAX_LENGTH } from '@medrec/domain';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { CliError } from './cli-error';
import type { CliIo } from './cli-io';

/**
 * The one variable that names a password, for every command: the account signing in (`ingest`),
 * or the account being created (`users add`).
 */
export const PASSWORD_ENV = 'MEDREC_PASSWORD';
/** The name `users add` read before PASSWORD_ENV; still honoured, with a warning. */
export const DEPRECATED_PASSWORD_ENV = 'MEDREC_USER_PASSWORD';

/** Longest stdin line accepted: well above any valid password, small enough to never buffer a whole file. */
const MAX_LINE_BYTES = 4 * PASSWORD_MAX_LENGTH + 2;

export interface PasswordSource {
  /** --password-stdin: the first line of stdin. */
  fromStdin: boolean;
  /** The account the password is for (shown in the prompt, and checked against by the policy). */
  username: string;
}

/**
 * The password for a new account, never from the command line (shell history, `ps`):
 * `--password-stdin` reads the first line of stdin; else MEDREC_PASSWORD; else, on a terminal, a
 * prompt without echo, asked twice.
 */
export async function readNewPassword(io: CliIo, source: PasswordSource): Promise<string> {
  const given = await passwordGiven(io, source);
  if (given !== undefined) return given;
  return askHidden(io, async (ask) => {
    const first = await ask(`Password for ${source.username}: `);
    // Checked before asking again; the directory checks every password it is given, however read.
    const problem = passwordPolicyProblem(first, source.username);
    if (problem) throw DomainError.invalid([{ field: 'password', message: problem }]);
    const second = await ask('Repeat the password: ');
    if (second !== first) throw CliError.usage('The two passwords do not match');
    return first;
  });
}

/** The password of an account signing in: as readNewPassword, but a prompt asks once. */
export async function readSignInPassword(io: CliIo, source: PasswordSource): Promise<string> {
  const given = await passwordGiven(io, source);
  if (given !== undefined) return given;
  return askHidden(io, async (ask) => {
    const answer = await ask(`Password for ${source.username}: `);
    if (answer === '') throw CliError.usage('No password entered');
    return answer;
  });
}

/**
 * Throws the usage error a command gets when no password can come from anywhere (no
 * --password-stdin, no variable, no terminal to prompt on), before the command does anything else.
 */
export function requirePasswordSource(io: CliIo, source: PasswordSource): void {
  if (source.fromStdin || io.env[PASSWORD_ENV] || io.env[DEPRECATED_PASSWORD_ENV] || io.stdin.isTTY) return;
  throw CliError.usage(`No password for ${source.username}: pipe it with --password-stdin, set ${PASSWORD_ENV}, or run in a terminal to be prompted`);
}

/** From stdin or the environment; undefined when it is for a prompt to ask. */
async function passwordGiven(io: CliIo, source: PasswordSource): Promise<string | undefined> {
  if (source.fromStdin) {
    const line = await readFirstLine(io.stdin);
    if (line === '') throw CliError.usage('No password on standard input (--password-stdin reads its first line)');
    return line;
  }
  const fromEnv = passwordFromEnv(io);
  if (fromEnv) return fromEnv;
  requirePasswordSource(io, source);
  return undefined;
}

function passwordFromEnv(io: CliIo): string | undefined {
  const current = io.env[PASSWORD_ENV];
  if (current) return current;
  const deprecated = io.env[DEPRECATED_PASSWORD_ENV];
  if (deprecated) io.stderr.write(`warning: ${DEPRECATED_PASSWORD_ENV} is deprecated and will be removed; set ${PASSWORD_ENV} instead\n`);
  return deprecated || undefined;
}

/** The first line of a stream, without its line ending; the rest is left unread. */
export function readFirstLine(input: CliIo['stdin']): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const finish = (error: Error | null, line?: Buffer) => {
      input.off('data', onData);
      input.off('end', onEnd);
      input.off('error', onError);
      input.pause();
      if (error) reject(error);
      else resolve(line!.toString('utf8').replace(/\r$/, ''));
    };
    const onData = (chunk: Buffer | string) => {
      buffered = Buffer.concat([buffered, typeof chunk === 'string' ? Buffer.from(chunk) : chunk]);
      const newline = buffered.indexOf(0x0a);
      if (newline >= 0) finish(null, buffered.subarray(0, newline));
      else if (buffered.length > MAX_LINE_BYTES) finish(CliError.usage('The first line of standard input is too long to be a password'));
    };
    const onEnd = () => finish(null, buffered);
    const onError = (error: Error) => finish(error);
    input.on('data', onData);
    input.once('end', onEnd);
    input.once('error', onError);
    input.resume();
  });
}

/**
 * Runs `dialogue` with an `ask(question)` that reads one line typed without echo. readline in
 * terminal mode puts the tty in raw mode (no echo by the terminal) and echoes the typed characters
 * itself to its output; giving it an output that drops everything hides them. Lines are read
 * through one iterator, so answers typed ahead are not lost between questions.
 */
async function askHidden<T>(io: CliIo, dialogue: (ask: (question: string) => Promise<string>) => Promise<T>): Promise<T> {
  const silent = new Writable({ write: (_chunk, _encoding, done) => done() });
  const rl = createInterface({ input: io.stdin, output: silent, terminal: true });
  let cancelled = false;
  rl.on('SIGINT', () => {
    cancelled = true;
    rl.close();
  });
  const lines = rl[Symbol.asyncIterator]();
  const ask = async (question: string): Promise<string> => {
    io.stderr.write(question);
    const next = await lines.next();
    io.stderr.write('\n');
    if (cancelled) throw new CliError('Cancelled');
    if (next.done) throw CliError.usage('No password entered');
    return next.value;
  };
  try {
    return await dialogue(ask);
  } finally {
    rl.close();
  }
}
