import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DATA_DIR_LOCK_FILE, DataDirInUseError, lockDataDir } from './data-dir-lock';

/** Between processes, and after a kill -9: test/e2e/backup-restore.e2e-spec.ts and the crash specs. */
describe('lockDataDir', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'medrec-lock-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is shared by servers and workers, and refuses a restore (exclusive) while any of them holds it', () => {
    const server = lockDataDir(dir, 'shared');
    const worker = lockDataDir(dir, 'shared');
    expect(() => lockDataDir(dir, 'exclusive')).toThrow(DataDirInUseError);
    server.release();
    expect(() => lockDataDir(dir, 'exclusive')).toThrow(`The data directory ${dir} is in use by a running medrec server or OCR worker`);
    worker.release();
    worker.release();
    lockDataDir(dir, 'exclusive').release();
  });

  it('during a restore (exclusive), refuses a server or a second restore', () => {
    const restore = lockDataDir(dir, 'exclusive');
    expect(() => lockDataDir(dir, 'shared')).toThrow(`The data directory ${dir} is being restored`);
    expect(() => lockDataDir(dir, 'exclusive')).toThrow(DataDirInUseError);
    restore.release();
    lockDataDir(dir, 'shared').release();
  });

  it('adds one owner-only file to the directory', () => {
    lockDataDir(dir, 'exclusive').release();
    lockDataDir(dir, 'shared').release();
    expect(readdirSync(dir)).toEqual([DATA_DIR_LOCK_FILE]);
    expect(statSync(join(dir, DATA_DIR_LOCK_FILE)).mode & 0o777).toBe(0o600);
  });
});
