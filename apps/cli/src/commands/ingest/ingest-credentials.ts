import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { CliError } from '../../cli-error';
import type { CliIo } from '../../cli-io';
import { readFirstLine } from '../../read-password';
import type { Credentials } from './medrec-client';

export const SERVER_ENV = 'MEDREC_SERVER';
export const LOGIN_PASSWORD_ENV = 'MEDREC_PASSWORD';
export const TOKEN_ENV = 'MEDREC_TOKEN';

/**
 * Where the credentials come from, checked before the manifest is read; nothing is asked yet.
 * With --username the password is read from stdin (--password-stdin), else MEDREC_PASSWORD, else a
 * terminal prompt; without it, MEDREC_TOKEN is used as the bearer token.
 */
export function credentialSource(io: CliIo, options: { username?: string; passwordStdin?: boolean }): () => Promise<Credentials> {
  const { username } = options;
  if (options.passwordStdin && !username) throw CliError.usage('--password-stdin needs --username');
  if (username) {
    if (!options.passwordStdin && !io.env[LOGIN_PASSWORD_ENV] && !io.stdin.isTTY) {
      throw CliError.usage(`No password for ${username}: pipe it with --password-stdin, set ${LOGIN_PASSWORD_ENV}, or run in a terminal to be prompted`);
    }
    return async () => ({ kind: 'password', username, password: await loginPassword(io, username, options.passwordStdin === true) });
  }
  const token = io.env[TOKEN_ENV];
  if (token) return async () => ({ kind: 'token', token });
  throw CliError.usage(`No credentials: give --username (password from --password-stdin, ${LOGIN_PASSWORD_ENV} or a prompt) or set ${TOKEN_ENV}`);
}

async function loginPassword(io: CliIo, username: string, fromStdin: boolean): Promise<string> {
  if (fromStdin) {
    const line = await readFirstLine(io.stdin);
    if (line === '') throw CliError.usage('No password on standard input (--password-stdin reads its first line)');
    return line;
  }
  const fromEnv = io.env[LOGIN_PASSWORD_ENV];
  if (fromEnv) return fromEnv;
  return promptHidden(io, `Password for ${username}: `);
}

/** One answer typed without echo: readline draws the input to an output that drops it. */
async function promptHidden(io: CliIo, question: string): Promise<string> {
  const silent = new Writable({ write: (_chunk, _encoding, done) => done() });
  const rl = createInterface({ input: io.stdin, output: silent, terminal: true });
  try {
    io.stderr.write(question);
    const answer = await new Promise<string | undefined>((resolve) => {
      rl.once('line', resolve);
      rl.once('close', () => resolve(undefined));
      rl.once('SIGINT', () => rl.close());
    });
    io.stderr.write('\n');
    if (answer === undefined) throw new CliError('Cancelled');
    if (answer === '') throw CliError.usage('No password entered');
    return answer;
  } finally {
    rl.close();
  }
}
