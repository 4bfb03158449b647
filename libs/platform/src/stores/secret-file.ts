import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writePrivateFileSync } from '@medrec/crypto';

/** Reads a random secret kept in a file of the data directory, creating it (mode 0600) on first use. */
export function loadOrCreateSecretFile(file: string, bytes = 32): Buffer {
  try {
    return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const secret = randomBytes(bytes);
  // 'wx' fails if another process created it meanwhile; then read theirs.
  try {
    writePrivateFileSync(file, secret.toString('base64') + '\n', 'wx');
    return secret;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
    throw error;
  }
}
