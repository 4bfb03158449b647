import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { diskStorage, StorageEngine } from 'multer';
import { makePrivateFileSync } from '@medrec/crypto';

/**
 * Multer's disk storage over `dir`, each spooled upload (a patient's document, in clear) owner-only:
 * the file is created 0600 when it is named, and multer's write stream then writes into it (an
 * existing file keeps its mode). An upload aborted before multer opens it leaves an empty file,
 * swept with the stale uploads at the next start.
 */
export function spoolStorage(dir: string): StorageEngine {
  return diskStorage({
    destination: dir,
    filename: (_request, _file, callback) => {
      const name = randomBytes(16).toString('hex');
      try {
        makePrivateFileSync(join(dir, name));
        callback(null, name);
      } catch (error) {
        callback(error as Error, '');
      }
    },
  });
}
