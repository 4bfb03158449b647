import { closeSync, fchmodSync, fsyncSync, linkSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { KEY_LENGTH } from './aes-gcm';
import { MasterKeyError } from './errors';
import { makePrivateDirSync, PRIVATE_FILE_MODE } from './private-files';

export const MASTER_KEY_ENV = 'MEDREC_MASTER_KEY';
export const MASTER_KEY_FILE = 'master.key';

export interface LoadMasterKeyOptions {
  env: Record<string, string | undefined>;
  dataDir: string;
  /** Embedded (single-node) mode may fall back to a generated key file under dataDir. */
  embedded: boolean;
  warn: (message: string) => void;
}

/**
 * The master key wraps every per-record data key. Production sets MEDREC_MASTER_KEY (base64 or hex
 * of 32 bytes). Embedded mode without it keeps a generated key in `<dataDir>/master.key`, which
 * sits next to the data it protects and is therefore only fit for a trial or a single workstation.
 */
export function loadMasterKey(options: LoadMasterKeyOptions): Buffer {
  const configured = options.env[MASTER_KEY_ENV]?.trim();
  if (configured) {
    const key = parseKey(configured);
    if (!key) {
      throw new MasterKeyError(`${MASTER_KEY_ENV} must encode exactly ${KEY_LENGTH} bytes, as base64 (44 characters) or hex (64 characters)`);
    }
    return key;
  }
  if (!options.embedded) {
    throw new MasterKeyError(`${MASTER_KEY_ENV} is not set; it is required outside embedded mode (generate one with: openssl rand -base64 32)`);
  }
  const file = join(options.dataDir, MASTER_KEY_FILE);
  const existing = readKeyFile(file, options.warn);
  if (existing) {
    options.warn(`${MASTER_KEY_ENV} is not set: using the master key in ${file}. A production deployment must set ${MASTER_KEY_ENV}.`);
    return existing;
  }
  const created = createKeyFile(options.dataDir, file, options.warn);
  options.warn(
    `${MASTER_KEY_ENV} is not set: generated a new master key in ${file}. ` +
      `A production deployment must set ${MASTER_KEY_ENV}; losing this key makes all stored records unreadable.`,
  );
  return created;
}

/** Accepts hex (64 chars) or standard/url-safe base64 of exactly 32 bytes; null otherwise. */
export function parseKey(text: string): Buffer | null {
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/').replace(/=$/, '');
  if (!/^[A-Za-z0-9+/]{43}$/.test(base64)) return null;
  const key = Buffer.from(base64, 'base64');
  // Re-encoding rejects non-canonical trailing bits, so one key has exactly one spelling.
  return key.length === KEY_LENGTH && key.toString('base64').slice(0, 43) === base64 ? key : null;
}

function readKeyFile(file: string, warn: (message: string) => void): Buffer | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    throw new MasterKeyError(`Cannot read the master key file ${file} (${code ?? 'error'})`);
  }
  const key = parseKey(text.trim());
  if (!key) throw new MasterKeyError(`The master key file ${file} is corrupt: it must hold ${KEY_LENGTH} bytes as base64 or hex`);
  if (process.platform !== 'win32' && (statSync(file).mode & 0o077) !== 0) {
    warn(`The master key file ${file} is readable by other users; restrict it with: chmod 600 ${file}`);
  }
  return key;
}

/**
 * Written to a temporary file, fsynced, then hard-linked into place: unlike rename, link never
 * replaces a key another process created meanwhile, so two first starts agree on one key.
 */
function createKeyFile(dataDir: string, file: string, warn: (message: string) => void): Buffer {
  makePrivateDirSync(dataDir);
  const key = randomBytes(KEY_LENGTH);
  const temp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = openSync(temp, 'wx', PRIVATE_FILE_MODE);
  try {
    fchmodSync(fd, PRIVATE_FILE_MODE);
    writeSync(fd, `${key.toString('base64')}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    try {
      linkSync(temp, file);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? '';
      if (code === 'EEXIST') {
        const winner = readKeyFile(file, warn);
        if (winner) return winner;
        throw error;
      }
      if (!['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS'].includes(code)) throw error;
      // Filesystem without hard links: rename is still atomic, only not exclusive.
      renameSync(temp, file);
    }
    fsyncDir(dataDir);
    return key;
  } finally {
    try {
      unlinkSync(temp);
    } catch {
      /* already renamed */
    }
  }
}

function fsyncDir(dir: string): void {
  if (process.platform === 'win32') return;
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
