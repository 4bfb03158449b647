import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { open, readdir, rename, rmdir, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { makePrivateDir, PRIVATE_FILE_MODE } from '@medrec/crypto';
import { BlobNotFoundError, type BlobInfo, type BlobStore } from '../blob-store.port';
import { assertValidBlobKey, assertValidBlobPrefix } from '../blob-key';
import { writeMeasured } from '../measured-write';

const TEMP_DIR = '.tmp';
/** Temporary files older than this are leftovers of a crash (a put never takes this long). */
const STALE_TEMP_MS = 24 * 60 * 60 * 1000;

/**
 * Blobs as files under a root directory: `<root>/<key>`. A put streams into `<root>/.tmp`,
 * hashing as it goes, fsyncs, then renames into place, so readers only ever see complete
 * blobs and a crash leaves at most a stray temporary file (swept on the next start).
 *
 * Unlike S3, a key cannot also be the "directory" of other keys ("a/b" and "a/b/c").
 * Files are 0600 and directories 0700, whatever the umask.
 */
export class FilesystemBlobStore implements BlobStore {
  readonly root: string;
  private ready: Promise<void> | null = null;

  constructor(root: string) {
    this.root = resolve(root);
  }

  async put(key: string, body: Readable | Buffer): Promise<BlobInfo> {
    assertValidBlobKey(key);
    await this.init();
    const target = this.pathOf(key);
    const temp = join(this.root, TEMP_DIR, `${randomUUID()}.tmp`);
    const file = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, PRIVATE_FILE_MODE);
    let written: { size: number; sha256: string };
    try {
      try {
        await file.chmod(PRIVATE_FILE_MODE);
        written = await writeMeasured(body, (chunk) => writeAll(file, chunk));
        await file.sync();
      } finally {
        await file.close();
      }
      await this.moveIntoPlace(temp, target, key);
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw error;
    }
    return { key, ...written };
  }

  async get(key: string): Promise<Readable> {
    assertValidBlobKey(key);
    let file: FileHandle;
    try {
      file = await open(this.pathOf(key), 'r');
    } catch (error) {
      if (isMissing(error) || errnoCode(error) === 'EISDIR') throw new BlobNotFoundError(key);
      throw error;
    }
    // A directory opens fine on POSIX; it is not a blob.
    if (!(await file.stat()).isFile()) {
      await file.close();
      throw new BlobNotFoundError(key);
    }
    return file.createReadStream({ autoClose: true });
  }

  async exists(key: string): Promise<boolean> {
    assertValidBlobKey(key);
    try {
      return (await stat(this.pathOf(key))).isFile();
    } catch (error) {
      if (isMissing(error)) return false;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    assertValidBlobKey(key);
    const path = this.pathOf(key);
    try {
      await unlink(path);
    } catch (error) {
      if (isMissing(error)) return;
      if (errnoCode(error) === 'EISDIR' || errnoCode(error) === 'EPERM') {
        if (!(await stat(path)).isFile()) return;
      }
      throw error;
    }
    await this.pruneEmptyDirs(dirname(path));
  }

  /** String-prefix semantics, as in S3: "records/a" also matches "records/ab/...". */
  async deletePrefix(prefix: string): Promise<number> {
    assertValidBlobPrefix(prefix);
    const slash = prefix.lastIndexOf('/');
    const dir = slash < 0 ? this.root : this.pathOf(prefix.slice(0, slash));
    const namePrefix = prefix.slice(slash + 1);
    const entries = await readdir(dir, { withFileTypes: true }).catch((error: unknown) => {
      if (isMissing(error)) return [];
      throw error;
    });
    let deleted = 0;
    for (const entry of entries) {
      if (entry.name.startsWith('.') || !entry.name.startsWith(namePrefix)) continue;
      deleted += await removeTree(join(dir, entry.name), entry.isDirectory());
    }
    await this.pruneEmptyDirs(dir);
    return deleted;
  }

  private pathOf(key: string): string {
    // Key validation already excludes traversal; this is a second line of defence.
    const path = resolve(this.root, key);
    if (!path.startsWith(this.root + sep)) throw new Error('Blob path escapes the store root');
    return path;
  }

  private async moveIntoPlace(temp: string, target: string, key: string): Promise<void> {
    const parent = dirname(target);
    // A concurrent deletePrefix may remove the freshly made parent between mkdir and rename: retry once.
    for (let attempt = 0; ; attempt++) {
      try {
        await makePrivateDir(parent);
        await rename(temp, target);
        break;
      } catch (error) {
        if (errnoCode(error) === 'ENOENT' && attempt === 0) continue;
        if (['EISDIR', 'ENOTDIR', 'EEXIST', 'ENOTEMPTY'].includes(errnoCode(error) ?? '')) {
          throw new Error(`Blob key conflicts with an existing blob or folder: ${key}`);
        }
        throw error;
      }
    }
    await fsyncDir(parent);
  }

  private async pruneEmptyDirs(from: string): Promise<void> {
    for (let dir = from; dir.startsWith(this.root + sep); dir = dirname(dir)) {
      try {
        await rmdir(dir);
      } catch {
        return; // not empty (or already gone, or in use): stop climbing
      }
    }
  }

  /** Writes and removes an empty file in the store's temporary directory: proves the root is there and writable. */
  async ping(): Promise<void> {
    await this.init();
    const probe = join(this.root, TEMP_DIR, `ping-${randomUUID()}.tmp`);
    await (await open(probe, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, PRIVATE_FILE_MODE)).close();
    await unlink(probe);
  }

  private init(): Promise<void> {
    this.ready ??= (async () => {
      await makePrivateDir(join(this.root, TEMP_DIR));
      await this.sweepStaleTemps();
    })().catch((error: unknown) => {
      this.ready = null;
      throw error;
    });
    return this.ready;
  }

  private async sweepStaleTemps(): Promise<void> {
    const dir = join(this.root, TEMP_DIR);
    const cutoff = Date.now() - STALE_TEMP_MS;
    for (const name of await readdir(dir)) {
      const path = join(dir, name);
      try {
        if ((await stat(path)).mtimeMs < cutoff) await unlink(path);
      } catch {
        /* raced with another process: fine */
      }
    }
  }
}

async function writeAll(file: FileHandle, chunk: Buffer): Promise<void> {
  let offset = 0;
  while (offset < chunk.length) {
    const { bytesWritten } = await file.write(chunk, offset, chunk.length - offset);
    offset += bytesWritten;
  }
}

async function removeTree(path: string, isDirectory: boolean): Promise<number> {
  if (!isDirectory) {
    try {
      await unlink(path);
      return 1;
    } catch (error) {
      if (isMissing(error)) return 0;
      throw error;
    }
  }
  let deleted = 0;
  const entries = await readdir(path, { withFileTypes: true }).catch((error: unknown) => {
    if (isMissing(error)) return [];
    throw error;
  });
  for (const entry of entries) deleted += await removeTree(join(path, entry.name), entry.isDirectory());
  await rmdir(path).catch(() => undefined); // a concurrent put may have refilled it
  return deleted;
}

async function fsyncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The errno code of a failed file system call (`catch` gives an untyped value). */
function errnoCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | null)?.code;
}

function isMissing(error: unknown): boolean {
  const code = errnoCode(error);
  return code === 'ENOENT' || code === 'ENOTDIR';
}
