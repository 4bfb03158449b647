import { passwordPolicyProblem } from '@medrec/auth/password-policy';
import { DomainError, PASSWORD_MAX_LENGTH } from '@medrec/domain';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { CliError } from './cli-error';
import type { CliIo } from './cli-io';

export const PASSWORD_ENV = 'MEDREC_USER_PASSWORD';

/** Longest stdin line accepted: well above any valid password, small enough to never buffer a whole file. */
const MAX_LINE_BYTES = 4 * PASSWORD_MAX_LENGTH + 2;

/**
 * The password for a new account, never from the command line (shell history, `ps`):
 * `--password-stdin` reads the first line of stdin; else MEDREC_USER_PASSWORD; else, on a
 * terminal, a prompt without echo, asked twice.
 */
export async function readPassword(io: CliIo, options: { fromStdin: boolean; prompt: string; username?: string }): Promise<string> {
  if (options.fromStdin) {
    const line = await readFirstLine(io.stdin);
    if (line === '') throw CliError.usage('No password on standard input (--password-stdin reads its first line)');
    return line;
  }
  const fromEnv = io.env[PASSWORD_ENV];
  if (fromEnv) return fromEnv;
  if (!io.stdin.isTTY) {
    throw CliError.usage(`No password given: pipe it with --password-stdin, set ${PASSWORD_ENV}, or run in a terminal to be prompted`);
  }
  return promptTwice(io, options.prompt, options.username);
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

async function promptTwice(io: CliIo, prompt: string, username?: string): Promise<string> {
  // readline in terminal mode puts the tty in raw mode (no echo by the terminal) and echoes the
  // typed characters itself to its output; giving it an output that drops everything hides them.
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
    const first = await ask(prompt);
    // Checked before asking again; the directory checks every password it is given, however read.
    const problem = passwordPolicyProblem(first, username);
    if (problem) throw DomainError.invalid([{ field: 'password', message: problem }]);
    const second = await ask('Repeat the password: ');
    if (second !== first) throw CliError.usage('The two passwords do not match');
    return first;
  } finally {
    rl.close();
  }
}
