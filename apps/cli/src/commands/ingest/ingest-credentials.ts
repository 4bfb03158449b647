import { readFile } from 'node:fs/promises';
import { CliError } from '../../cli-error';
import type { CliIo } from '../../cli-io';
import { PASSWORD_ENV, readSignInPassword, requirePasswordSource } from '../../read-password';
import type { Credentials } from './medrec-client';

export const SERVER_ENV = 'MEDREC_SERVER';
export const TOKEN_ENV = 'MEDREC_TOKEN';

/**
 * Where the credentials come from, checked before the manifest is read; nothing is asked yet.
 * With --username the password is read from stdin (--password-stdin), else from the first line of
 * --password-file (a service's credential file), else MEDREC_PASSWORD, else a terminal prompt;
 * without it, MEDREC_TOKEN is used as the bearer token.
 */
export function credentialSource(io: CliIo, options: { username?: string; passwordStdin?: boolean; passwordFile?: string }): () => Promise<Credentials> {
  const { username, passwordFile } = options;
  if (options.passwordStdin && !username) throw CliError.usage('--password-stdin needs --username');
  if (passwordFile !== undefined && !username) throw CliError.usage('--password-file needs --username');
  if (passwordFile !== undefined && options.passwordStdin) throw CliError.usage('--password-file and --password-stdin exclude each other');
  if (username && passwordFile !== undefined) return async () => ({ kind: 'password', username, password: await passwordFromFile(passwordFile) });
  if (username) {
    const source = { fromStdin: options.passwordStdin === true, username };
    requirePasswordSource(io, source);
    return async () => ({ kind: 'password', username, password: await readSignInPassword(io, source) });
  }
  const token = io.env[TOKEN_ENV];
  if (token) return async () => ({ kind: 'token', token });
  throw CliError.usage(`No credentials: give --username (password from --password-stdin, ${PASSWORD_ENV} or a prompt) or set ${TOKEN_ENV}`);
}

/** The first line of the file, without its line ending; the file's content never appears in an error. */
async function passwordFromFile(path: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw CliError.usage(`Cannot read the password file (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const line = text.split('\n', 1)[0].replace(/\r$/, '');
  if (line === '') throw CliError.usage('The password file is empty (its first line is the password)');
  return line;
}
