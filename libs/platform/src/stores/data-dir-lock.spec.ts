import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataDirInUseError, LOCK_FILES, lockDataDir } from './data-dir-lock';

/** Between processes, and after a kill -9: test/e2e/backup-restore.e2e-spec.ts and the crash specs that restart on their directory. */
describe('lockDataDir', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'medrec-lock-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is shared by a server and workers, and refuses a restore while any of them holds it', () => {
    const server = lockDataDir(dir, 'server');
    const workers = [lockDataDir(dir, 'worker'), lockDataDir(dir, 'worker')];
    expect(() => lockDataDir(dir, 'restore')).toThrow(DataDirInUseError);
    server.release();
    workers[0].release();
    expect(() => lockDataDir(dir, 'restore')).toThrow(`The data directory ${dir} is in use by a running medrec server or OCR worker`);
    workers[1].release();
    workers[1].release();
    lockDataDir(dir, 'restore').release();
  });

  it('refuses a second server until the first releases it, and leaves workers be', () => {
    const first = lockDataDir(dir, 'server');
    expect(() => lockDataDir(dir, 'server')).toThrow(`The data directory ${dir} is in use by another medrec server`);
    // The refused one kept nothing: workers still join the first, and its release frees the directory for a server and a restore.
    lockDataDir(dir, 'worker').release();
    first.release();
    lockDataDir(dir, 'server').release();
    lockDataDir(dir, 'restore').release();
  });

  it('during a restore, refuses a server, a worker and a second restore', () => {
    const restore = lockDataDir(dir, 'restore');
    for (const holder of ['server', 'worker'] as const) expect(() => lockDataDir(dir, holder)).toThrow(`The data directory ${dir} is being restored`);
    expect(() => lockDataDir(dir, 'restore')).toThrow(DataDirInUseError);
    restore.release();
    lockDataDir(dir, 'server').release();
  });

  it('adds only its owner-only lock files to the directory', () => {
    lockDataDir(dir, 'restore').release();
    lockDataDir(dir, 'server').release();
    expect(readdirSync(dir).sort()).toEqual([...LOCK_FILES].sort());
    for (const name of LOCK_FILES) expect(statSync(join(dir, name)).mode & 0o777).toBe(0o600);
  });
});
