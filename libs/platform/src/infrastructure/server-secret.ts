import { hkdfSync } from 'node:crypto';
import { join } from 'node:path';
import type { AppConfig } from '../config/app-config';
import { loadOrCreateSecretFile } from '../stores/secret-file';

/**
 * The server's secret (MEDREC_TOKEN_SECRET, else a file in the data directory): every API instance
 * of one deployment shares it. Tokens are signed with it; other keys are derived from it (HKDF).
 */
export const SERVER_SECRET = Symbol('SERVER_SECRET');

export function loadServerSecret(config: AppConfig): Buffer {
  return config.tokenSecret ? Buffer.from(config.tokenSecret, 'base64') : loadOrCreateSecretFile(join(config.dataDir, 'token.secret'));
}

/** A key for one purpose, derived from the server's secret, the same in every instance and after restarts. */
export function deriveServerKey(secret: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), `medrec ${purpose}`, 32));
}
