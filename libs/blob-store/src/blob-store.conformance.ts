import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { InvalidBlobKeyError } from './blob-key';
import { BlobNotFoundError, type BlobStore } from './blob-store.port';

export interface BlobStoreFixture {
  store: BlobStore;
  cleanup(): Promise<void>;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks);
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function inChunks(data: Buffer, size: number): Readable {
  let offset = 0;
  return new Readable({
    read() {
      if (offset >= data.length) return void this.push(null);
      this.push(data.subarray(offset, offset + size));
      offset += size;
    },
  });
}

/**
 * The behaviour every BlobStore adapter must show. Each test gets a fresh store from `factory`
 * (a fresh directory, bucket or prefix) and its `cleanup` runs afterwards.
 */
export function describeBlobStoreConformance(name: string, factory: () => Promise<BlobStoreFixture>): void {
  describe(`BlobStore conformance: ${name}`, () => {
    let fixture: BlobStoreFixture;
    let store: BlobStore;

    beforeEach(async () => {
      fixture = await factory();
      store = fixture.store;
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    it('round-trips a Buffer and reports its size and SHA-256', async () => {
      const data = Buffer.from('%PDF-1.7 scanned discharge summary');
      const info = await store.put('records/r1/v1/original', data);
      expect(info).toEqual({ key: 'records/r1/v1/original', size: data.length, sha256: sha256(data) });
      expect((await readAll(await store.get('records/r1/v1/original'))).equals(data)).toBe(true);
    });

    it('round-trips a stream', async () => {
      const data = randomBytes(300_000);
      const info = await store.put('records/r1/v1/original', inChunks(data, 7_001));
      expect(info.size).toBe(data.length);
      expect(info.sha256).toBe(sha256(data));
      expect((await readAll(await store.get('records/r1/v1/original'))).equals(data)).toBe(true);
    });

    it('stores empty blobs, from a Buffer and from a stream', async () => {
      const empty = sha256(Buffer.alloc(0));
      expect(await store.put('empty/buffer', Buffer.alloc(0))).toEqual({ key: 'empty/buffer', size: 0, sha256: empty });
      expect(await store.put('empty/stream', Readable.from([]))).toEqual({ key: 'empty/stream', size: 0, sha256: empty });
      expect(await readAll(await store.get('empty/buffer'))).toEqual(Buffer.alloc(0));
      expect(await readAll(await store.get('empty/stream'))).toEqual(Buffer.alloc(0));
      expect(await store.exists('empty/stream')).toBe(true);
    });

    it('round-trips 5 MB', async () => {
      const data = randomBytes(5 * 1024 * 1024);
      const info = await store.put('large/blob', inChunks(data, 64 * 1024));
      expect(info).toEqual({ key: 'large/blob', size: data.length, sha256: sha256(data) });
      const back = await readAll(await store.get('large/blob'));
      expect(back.length).toBe(data.length);
      expect(back.equals(data)).toBe(true);
    });

    it('replaces a blob on overwrite', async () => {
      await store.put('a/b', Buffer.from('first version, longer than the second'));
      const info = await store.put('a/b', Buffer.from('second'));
      expect(info).toEqual({ key: 'a/b', size: 6, sha256: sha256(Buffer.from('second')) });
      expect((await readAll(await store.get('a/b'))).toString()).toBe('second');
    });

    it('keeps the previous blob when a put fails midway', async () => {
      await store.put('a/b', Buffer.from('intact'));
      const failing = new Readable({
        read() {
          this.push(Buffer.alloc(1024, 1));
          this.destroy(new Error('client disconnected'));
        },
      });
      await expect(store.put('a/b', failing)).rejects.toThrow('client disconnected');
      expect((await readAll(await store.get('a/b'))).toString()).toBe('intact');
      await expect(store.put('a/new', failingStream())).rejects.toThrow();
      expect(await store.exists('a/new')).toBe(false);
    });

    it('fails get of a missing blob with BlobNotFoundError', async () => {
      await expect(store.get('records/missing/v1/original')).rejects.toBeInstanceOf(BlobNotFoundError);
      await store.put('records/r1/v1/original', Buffer.from('x'));
      // A "folder" of other blobs is not a blob.
      await expect(store.get('records/r1')).rejects.toBeInstanceOf(BlobNotFoundError);
    });

    it('answers ping, before and after a put, without adding a blob', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
      await store.put('x/y', Buffer.from('1'));
      await expect(store.ping()).resolves.toBeUndefined();
      expect(await store.deletePrefix('x/')).toBe(1);
    });

    it('answers exists', async () => {
      expect(await store.exists('x/y')).toBe(false);
      await store.put('x/y', Buffer.from('1'));
      expect(await store.exists('x/y')).toBe(true);
      expect(await store.exists('x')).toBe(false);
    });

    it('deletes one blob; deleting a missing one is not an error', async () => {
      await store.put('x/y', Buffer.from('1'));
      await store.put('x/z', Buffer.from('2'));
      await store.delete('x/y');
      expect(await store.exists('x/y')).toBe(false);
      expect(await store.exists('x/z')).toBe(true);
      await expect(store.delete('x/y')).resolves.toBeUndefined();
      await expect(store.get('x/y')).rejects.toBeInstanceOf(BlobNotFoundError);
    });

    it('deletes every blob under a prefix and reports how many', async () => {
      for (const key of ['records/a/v1/original', 'records/a/v1/page-1.png', 'records/a/v2/original', 'records/ab/v1/original', 'records/b/v1/original']) {
        await store.put(key, Buffer.from(key));
      }
      expect(await store.deletePrefix('records/a/')).toBe(3);
      expect(await store.exists('records/a/v1/original')).toBe(false);
      expect(await store.exists('records/a/v2/original')).toBe(false);
      expect(await store.exists('records/ab/v1/original')).toBe(true);
      expect(await store.exists('records/b/v1/original')).toBe(true);
      expect(await store.deletePrefix('records/a/')).toBe(0);
      expect(await store.deletePrefix('nothing/here/')).toBe(0);
      // The prefix is a plain string prefix, as in S3.
      expect(await store.deletePrefix('records/a')).toBe(1);
      expect(await store.exists('records/b/v1/original')).toBe(true);
      // A blob can be written again under a deleted prefix.
      await store.put('records/a/v3/original', Buffer.from('again'));
      expect(await store.exists('records/a/v3/original')).toBe(true);
    });

    it('handles concurrent puts to different keys', async () => {
      const blobs = Array.from({ length: 20 }, (_, i) => ({ key: `records/r${i}/v1/original`, data: randomBytes(20_000 + i) }));
      const infos = await Promise.all(blobs.map(({ key, data }) => store.put(key, inChunks(data, 4096))));
      infos.forEach((info, i) => expect(info.sha256).toBe(sha256(blobs[i].data)));
      for (const { key, data } of blobs) expect((await readAll(await store.get(key))).equals(data)).toBe(true);
    });

    it('handles concurrent puts to the same key: one whole version wins', async () => {
      const versions = Array.from({ length: 5 }, (_, i) => Buffer.alloc(50_000, i + 1));
      await Promise.all(versions.map((data) => store.put('same/key', inChunks(data, 4096))));
      const back = await readAll(await store.get('same/key'));
      expect(versions.some((data) => data.equals(back))).toBe(true);
    });

    it.each(['', '/abs/path', '../escape', 'a/../../b', 'a/./b', 'a//b', 'a/', 'with space', 'ümlaut', 'back\\slash', '.hidden', 'a/.tmp/x', 'x'.repeat(1025)])(
      'rejects the invalid key %j',
      async (key) => {
        await expect(store.put(key, Buffer.from('x'))).rejects.toBeInstanceOf(InvalidBlobKeyError);
        await expect(store.get(key)).rejects.toBeInstanceOf(InvalidBlobKeyError);
        await expect(store.exists(key)).rejects.toBeInstanceOf(InvalidBlobKeyError);
        await expect(store.delete(key)).rejects.toBeInstanceOf(InvalidBlobKeyError);
      },
    );

    it.each(['', '/', '../', 'a/../', '/records/'])('rejects the invalid prefix %j', async (prefix) => {
      await expect(store.deletePrefix(prefix)).rejects.toBeInstanceOf(InvalidBlobKeyError);
    });
  });
}

function failingStream(): Readable {
  return new Readable({
    read() {
      this.destroy(new Error('source failed'));
    },
  });
}
