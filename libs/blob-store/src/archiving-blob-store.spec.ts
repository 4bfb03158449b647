import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeBlobStoreConformance } from './blob-store.conformance';
import { ArchivingBlobStore, moveToArchive } from './archiving-blob-store';
import { BlobNotFoundError } from './blob-store.port';
import { FilesystemBlobStore } from './fs/filesystem-blob-store';

async function text(store: ArchivingBlobStore, key: string): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of await store.get(key)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

describeBlobStoreConformance('archiving (fs, archive prefix)', async () => {
  const root = await mkdtemp(join(tmpdir(), 'medrec-blobs-'));
  return { store: ArchivingBlobStore.withPrefix(new FilesystemBlobStore(root)), cleanup: () => rm(root, { recursive: true, force: true }) };
});

describe('ArchivingBlobStore', () => {
  let root: string;
  let archiveRoot: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'medrec-blobs-'));
    archiveRoot = await mkdtemp(join(tmpdir(), 'medrec-archive-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
    await rm(archiveRoot, { recursive: true, force: true });
  });

  it('fs mode: moves a blob under archive/, where it is still read by its own key; idempotent', async () => {
    const store = ArchivingBlobStore.withPrefix(new FilesystemBlobStore(root));
    await store.put('records/r1/content/c1', Buffer.from('sealed bytes'));
    expect(await moveToArchive(store, 'records/r1/content/c1')).toBe(true);
    expect(await readFile(join(root, 'archive/records/r1/content/c1'), 'utf8')).toBe('sealed bytes');
    await expect(readFile(join(root, 'records/r1/content/c1'))).rejects.toThrow();
    expect(await text(store, 'records/r1/content/c1')).toBe('sealed bytes');
    expect(await store.exists('records/r1/content/c1')).toBe(true);
    expect(await store.isArchived('records/r1/content/c1')).toBe(true);
    expect(await store.moveToArchive('records/r1/content/c1')).toBe(false);
    expect(await text(store, 'records/r1/content/c1')).toBe('sealed bytes');
  });

  it('a separate archive store (a bucket of its own): same keys there; deleting a prefix deletes in both', async () => {
    const store = new ArchivingBlobStore(new FilesystemBlobStore(root), new FilesystemBlobStore(archiveRoot), '');
    await store.put('records/r1/content/c1', Buffer.from('one'));
    await store.put('records/r1/content/c2', Buffer.from('two'));
    await store.moveToArchive('records/r1/content/c1');
    expect(await readFile(join(archiveRoot, 'records/r1/content/c1'), 'utf8')).toBe('one');
    expect(await store.deletePrefix('records/r1/')).toBe(2);
    for (const key of ['records/r1/content/c1', 'records/r1/content/c2']) {
      expect(await store.exists(key)).toBe(false);
      await expect(store.get(key)).rejects.toThrow(BlobNotFoundError);
    }
  });
});
