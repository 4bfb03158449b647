import { CliError } from '../../cli-error';
import type { CliIo } from '../../cli-io';
import { PASSWORD_ENV, readSignInPassword, requirePasswordSource } from '../../read-password';
import type { Credentials } from './medrec-client';

export const SERVER_ENV = 'MEDREC_SERVER';
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
    const source = { fromStdin: options.passwordStdin === true, username };
    requirePasswordSource(io, source);
    return async () => ({ kind: 'password', username, password: await readSignInPassword(io, source) });
  }
  const token = io.env[TOKEN_ENV];
  if (token) return async () => ({ kind: 'token', token });
  throw CliError.usage(`No credentials: give --username (password from --password-stdin, ${PASSWORD_ENV} or a prompt) or set ${TOKEN_ENV}`);
}
