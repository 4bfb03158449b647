import { mkdtemp, readdir, rm, stat, writeFile, utimes, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describeBlobStoreConformance } from '../blob-store.conformance';
import { FilesystemBlobStore } from './filesystem-blob-store';

describeBlobStoreConformance('filesystem', async () => {
  const root = await mkdtemp(join(tmpdir(), 'medrec-blobs-'));
  return { store: new FilesystemBlobStore(root), cleanup: () => rm(root, { recursive: true, force: true }) };
});

describe('FilesystemBlobStore specifics', () => {
  let root: string;
  let store: FilesystemBlobStore;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'medrec-blobs-'));
    store = new FilesystemBlobStore(root);
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('stores a blob as a file at <root>/<key> and leaves no temporary file', async () => {
    await store.put('records/r1/v1/original', Buffer.from('content'));
    expect((await stat(join(root, 'records/r1/v1/original'))).size).toBe(7);
    expect(await readdir(join(root, '.tmp'))).toEqual([]);
  });

  it('pings by writing and removing a probe, and fails the ping once its root is no directory', async () => {
    await store.ping();
    expect(await readdir(join(root, '.tmp'))).toEqual([]);
    await rm(root, { recursive: true });
    await writeFile(root, 'not a directory');
    await expect(store.ping()).rejects.toMatchObject({ code: 'ENOTDIR' });
  });

  it('cleans up its temporary file when a put fails', async () => {
    const failing = new Readable({
      read() {
        this.push(Buffer.alloc(10));
        this.destroy(new Error('boom'));
      },
    });
    await expect(store.put('a/b', failing)).rejects.toThrow('boom');
    expect(await readdir(join(root, '.tmp'))).toEqual([]);
  });

  it('removes emptied directories after delete and deletePrefix, never the root', async () => {
    await store.put('records/r1/v1/original', Buffer.from('1'));
    await store.put('records/r2/v1/original', Buffer.from('2'));
    await store.delete('records/r1/v1/original');
    expect((await readdir(join(root, 'records'))).sort()).toEqual(['r2']);
    await store.deletePrefix('records/r2/');
    expect((await readdir(root)).sort()).toEqual(['.tmp']);
  });

  it('never touches files outside its root', async () => {
    const outside = `${root}-sibling`;
    await mkdir(outside, { recursive: true });
    await writeFile(join(outside, 'secret'), 'x');
    try {
      await expect(store.deletePrefix(`../${outside.split('/').pop()}/`)).rejects.toThrow();
      expect(await readdir(outside)).toEqual(['secret']);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('sweeps temporary files left by a crash more than a day ago', async () => {
    await mkdir(join(root, '.tmp'), { recursive: true });
    const stale = join(root, '.tmp', 'stale.tmp');
    const fresh = join(root, '.tmp', 'fresh.tmp');
    await writeFile(stale, 'x');
    await writeFile(fresh, 'y');
    const old = new Date(Date.now() - 2 * 24 * 60 * 60 * 1000);
    await utimes(stale, old, old);
    await new FilesystemBlobStore(root).put('k', Buffer.from('z'));
    expect(await readdir(join(root, '.tmp'))).toEqual(['fresh.tmp']);
  });

  it('explains a key that collides with a folder of other blobs', async () => {
    await store.put('a/b/c', Buffer.from('1'));
    await expect(store.put('a/b', Buffer.from('2'))).rejects.toThrow(/conflicts/);
    await expect(store.put('a/b/c/d', Buffer.from('3'))).rejects.toThrow(/conflicts/);
    expect(await store.exists('a/b/c')).toBe(true);
  });
});
