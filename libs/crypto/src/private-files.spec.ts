import Database from '@medrec/sqlite';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makePrivateDatabaseFileSync, makePrivateDir, makePrivateDirSync, makePrivateFileSync, restrictDirSync, writePrivateFileSync } from './private-files';

const modeOf = (path: string): string => (statSync(path).mode & 0o777).toString(8);

describe('private files', () => {
  let root: string;
  let umask: number;

  beforeEach(() => {
    // The default umask of most systems: what is created without an explicit mode is 0755 / 0644.
    umask = process.umask(0o022);
    root = mkdtempSync(join(tmpdir(), 'medrec-private-'));
  });
  afterEach(() => {
    process.umask(umask);
    rmSync(root, { recursive: true, force: true });
  });

  it.each([0o022, 0o002, 0o000, 0o277])('makes every directory it creates 0700 under umask %o, and leaves existing ones alone', async (mask) => {
    process.umask(mask);
    makePrivateDirSync(join(root, 'a', 'b', 'c'));
    await makePrivateDir(join(root, 'x', 'y'));

    expect([join(root, 'a'), join(root, 'a', 'b'), join(root, 'a', 'b', 'c'), join(root, 'x'), join(root, 'x', 'y')].map(modeOf)).toEqual([
      '700',
      '700',
      '700',
      '700',
      '700',
    ]);
    expect(modeOf(root)).toBe('700'); // mkdtemp's own mode, untouched
  });

  it('creates a file 0600 and restricts an existing one', () => {
    const existing = join(root, 'old.db');
    writeFileSync(existing, 'x');
    expect(modeOf(existing)).toBe('644');

    makePrivateFileSync(existing);
    makePrivateFileSync(join(root, 'sub', 'new.db'));

    expect([modeOf(existing), modeOf(join(root, 'sub', 'new.db')), modeOf(join(root, 'sub'))]).toEqual(['600', '600', '700']);
  });

  it('writes a file 0600, over an existing one too; with wx refuses an existing one', () => {
    const file = join(root, 'secret');
    writeFileSync(file, 'old');
    writePrivateFileSync(file, 'new');
    expect([modeOf(file), statSync(file).size]).toEqual(['600', 3]);
    expect(() => writePrivateFileSync(file, 'other', 'wx')).toThrow(expect.objectContaining({ code: 'EEXIST' }));
  });

  it('an SQLite database prepared first keeps its -wal and -shm at 0600 (SQLite gives them the database file mode)', () => {
    const file = join(root, 'data', 'read-models.db');
    makePrivateDatabaseFileSync(file);
    const db = new Database(file);
    try {
      db.pragma('journal_mode = WAL');
      db.exec('CREATE TABLE t (x TEXT); INSERT INTO t VALUES (1)');
      expect([file, `${file}-wal`, `${file}-shm`].map(modeOf)).toEqual(['600', '600', '600']);
    } finally {
      db.close();
    }
  });

  it('the control: without it, SQLite creates the database and its WAL 0644 under umask 022', () => {
    const file = join(root, 'plain.db');
    const db = new Database(file);
    try {
      db.pragma('journal_mode = WAL');
      db.exec('CREATE TABLE t (x TEXT)');
      expect([file, `${file}-wal`].map(modeOf)).toEqual(['644', '644']);
    } finally {
      db.close();
    }
  });

  it('restricts the -wal and -shm an earlier process left open, and leaves :memory: alone', () => {
    const file = join(root, 'events.db');
    for (const f of [file, `${file}-wal`, `${file}-shm`]) writeFileSync(f, '');
    makePrivateDatabaseFileSync(file);
    expect([file, `${file}-wal`, `${file}-shm`].map(modeOf)).toEqual(['600', '600', '600']);
    expect(() => makePrivateDatabaseFileSync(':memory:')).not.toThrow();
  });

  it('restrictDirSync creates a missing directory, restricts an open one and answers its old mode', () => {
    const open = join(root, 'open');
    mkdirSync(open);
    chmodSync(open, 0o755);

    expect(restrictDirSync(open)).toBe(0o755);
    expect(modeOf(open)).toBe('700');
    expect(restrictDirSync(open)).toBeNull();
    expect(restrictDirSync(join(root, 'fresh'))).toBeNull();
    expect(modeOf(join(root, 'fresh'))).toBe('700');
  });
});
