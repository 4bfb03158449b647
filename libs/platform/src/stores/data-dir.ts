import { restrictDirSync } from '@medrec/crypto';

/**
 * The data directory, owner-only: created 0700, or restricted when an earlier version (or an
 * operator) left it open to other users, which the log says. Whatever is inside (databases with
 * decrypted PHI, blobs, secrets) is then out of other users' reach, however old its own mode.
 */
export function secureDataDir(dir: string, warn: (message: string) => void): string {
  let was: number | null;
  try {
    was = restrictDirSync(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).name;
    throw new Error(`MEDREC_DATA_DIR ${dir} cannot be used (${code}): it must be a directory this process can create, or own and write`);
  }
  if (was !== null) warn(`The data directory ${dir} was open to other users (mode ${was.toString(8).padStart(4, '0')}); restricted to 0700`);
  return dir;
}
