import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync, writeFileSync } from 'node:fs';
import { chmod, mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/**
 * Owner-only files and directories for everything kept at rest: databases (read models hold
 * decrypted PHI), blobs, secrets, spooled uploads. A mode given at creation is masked by the
 * umask, so what is created is chmod-ed to the exact mode as well.
 */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/**
 * `mkdir -p` whose every created directory is 0700 (each one before the next is made in it, so
 * even a umask that takes the owner's bits cannot stop it). Existing directories are left alone.
 */
export function makePrivateDirSync(dir: string): void {
  const missing: string[] = [];
  for (let d = resolve(dir); !existsSync(d); d = dirname(d)) missing.unshift(d);
  for (const d of missing) {
    if (createdNow(() => mkdirSync(d, { mode: PRIVATE_DIR_MODE }))) chmodSync(d, PRIVATE_DIR_MODE);
  }
}

/** makePrivateDirSync, without blocking. */
export async function makePrivateDir(dir: string): Promise<void> {
  const missing: string[] = [];
  for (let d = resolve(dir); !(await exists(d)); d = dirname(d)) missing.unshift(d);
  for (const d of missing) {
    if (await createdNowAsync(() => mkdir(d, { mode: PRIVATE_DIR_MODE }))) await chmod(d, PRIVATE_DIR_MODE);
  }
}

/** Creates a file (empty) and its directories owner-only; an existing file is restricted to 0600. */
export function makePrivateFileSync(file: string): void {
  makePrivateDirSync(dirname(file));
  closeSync(openSync(file, 'a', PRIVATE_FILE_MODE));
  chmodSync(file, PRIVATE_FILE_MODE);
}

/** Writes a file owner-only, creating its directories; with flag 'wx' it fails (EEXIST) if the file exists. */
export function writePrivateFileSync(file: string, data: string, flag: 'w' | 'wx' = 'w'): void {
  makePrivateDirSync(dirname(file));
  writeFileSync(file, data, { mode: PRIVATE_FILE_MODE, flag });
  chmodSync(file, PRIVATE_FILE_MODE);
}

/**
 * Prepares an SQLite database file before SQLite opens it: created 0600 (SQLite gives its -wal
 * and -shm files the database file's mode), and a -wal or -shm left by an earlier process
 * restricted too. `:memory:` and '' (a temporary database) are left alone.
 */
export function makePrivateDatabaseFileSync(file: string): void {
  if (file === ':memory:' || file === '') return;
  makePrivateFileSync(file);
  for (const companion of [`${file}-wal`, `${file}-shm`]) if (existsSync(companion)) chmodSync(companion, PRIVATE_FILE_MODE);
}

/**
 * Creates a directory 0700 or restricts an existing one that others may enter or read. Answers
 * the mode it had when it was restricted (the caller says so in its log), else null.
 */
export function restrictDirSync(dir: string): number | null {
  makePrivateDirSync(dir);
  const mode = statSync(dir).mode & 0o777;
  if ((mode & 0o077) === 0) return null;
  chmodSync(dir, PRIVATE_DIR_MODE);
  return mode;
}

/** Whether `create` made it; false when another process made it meanwhile (then its mode is not ours to set). */
function createdNow(create: () => void): boolean {
  try {
    create();
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

async function createdNowAsync(create: () => Promise<unknown>): Promise<boolean> {
  try {
    await create();
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
