import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { DecryptionError } from '@medrec/crypto';
import { InvalidBlobKeyError } from './blob-key';
import { BlobNotFoundError } from './blob-store.port';
import { BlobIntegrityError, getDecrypted, putEncrypted } from './encrypted-blob-store';
import { FilesystemBlobStore } from './fs/filesystem-blob-store';

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('encrypted blobs', () => {
  let root: string;
  let store: FilesystemBlobStore;
  const dataKey = randomBytes(32);
  const key = 'records/r1/v1/original';
  // Recognisable, repetitive plaintext: any leak into the stored bytes would be found.
  const plaintext = Buffer.from('%PDF-1.7 Patient: Jane Doe, DOB 1970-01-01. '.repeat(5000));

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'medrec-enc-blobs-'));
    store = new FilesystemBlobStore(root);
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('stores ciphertext and reports plaintext and stored fingerprints', async () => {
    const info = await putEncrypted(store, key, Readable.from([plaintext.subarray(0, 1000), plaintext.subarray(1000)]), dataKey);
    const stored = await readFile(join(root, key));
    expect(info).toEqual({
      key,
      sha256: sha256(plaintext),
      size: plaintext.length,
      storedSha256: sha256(stored),
      storedSize: stored.length,
    });
    expect(stored.equals(plaintext)).toBe(false);
    expect(stored.includes(Buffer.from('Jane Doe'))).toBe(false);
    expect(stored.includes(Buffer.from('%PDF'))).toBe(false);
    expect((await readAll(await getDecrypted(store, key, dataKey))).equals(plaintext)).toBe(true);
  });

  it('accepts a Buffer body and an empty body', async () => {
    await putEncrypted(store, key, plaintext, dataKey);
    expect((await readAll(await getDecrypted(store, key, dataKey))).equals(plaintext)).toBe(true);
    const empty = await putEncrypted(store, 'records/r1/v2/original', Buffer.alloc(0), dataKey);
    expect(empty.size).toBe(0);
    expect(await readAll(await getDecrypted(store, 'records/r1/v2/original', dataKey))).toEqual(Buffer.alloc(0));
  });

  it('fails with the wrong data key', async () => {
    await putEncrypted(store, key, plaintext, dataKey);
    await expect(readAll(await getDecrypted(store, key, randomBytes(32)))).rejects.toBeInstanceOf(DecryptionError);
  });

  it('fails when the stored bytes are tampered with', async () => {
    await putEncrypted(store, key, plaintext, dataKey);
    const path = join(root, key);
    const stored = await readFile(path);
    stored[stored.length >> 1] ^= 0x01;
    await writeFile(path, stored);
    await expect(readAll(await getDecrypted(store, key, dataKey))).rejects.toBeInstanceOf(DecryptionError);
  });

  it('fails when the ciphertext is moved to another key (AAD)', async () => {
    await putEncrypted(store, key, plaintext, dataKey);
    await store.put('records/r2/v1/original', await readFile(join(root, key)));
    await expect(readAll(await getDecrypted(store, 'records/r2/v1/original', dataKey))).rejects.toBeInstanceOf(DecryptionError);
  });

  it('checks the recorded plaintext SHA-256 when asked', async () => {
    const info = await putEncrypted(store, key, plaintext, dataKey);
    expect((await readAll(await getDecrypted(store, key, dataKey, { expectedSha256: info.sha256 }))).equals(plaintext)).toBe(true);
    await expect(readAll(await getDecrypted(store, key, dataKey, { expectedSha256: sha256(Buffer.from('other')) }))).rejects.toBeInstanceOf(BlobIntegrityError);
  });

  it('reports a missing blob as BlobNotFoundError', async () => {
    await expect(getDecrypted(store, 'records/none/v1/original', dataKey)).rejects.toBeInstanceOf(BlobNotFoundError);
  });

  it('rejects an invalid blob key', async () => {
    await expect(putEncrypted(store, '../outside', plaintext, dataKey)).rejects.toBeInstanceOf(InvalidBlobKeyError);
  });

  it('stores nothing when the source fails', async () => {
    const failing = new Readable({
      read() {
        this.push(Buffer.alloc(100));
        this.destroy(new Error('upload aborted'));
      },
    });
    await expect(putEncrypted(store, key, failing, dataKey)).rejects.toThrow('upload aborted');
    expect(await store.exists(key)).toBe(false);
  });

  it('streams 20 MB in and out', async () => {
    const total = 20 * 1024 * 1024;
    const sourceHash = createHash('sha256');
    let produced = 0;
    const source = new Readable({
      read() {
        if (produced >= total) return void this.push(null);
        const piece = randomBytes(64 * 1024);
        sourceHash.update(piece);
        produced += piece.length;
        this.push(piece);
      },
    });
    const info = await putEncrypted(store, key, source, dataKey);
    expect(info.sha256).toBe(sourceHash.digest('hex'));
    expect(info.storedSize).toBe(total + 29);
    const outHash = createHash('sha256');
    let size = 0;
    for await (const chunk of await getDecrypted(store, key, dataKey, { expectedSha256: info.sha256 })) {
      outHash.update(chunk);
      size += chunk.length;
    }
    expect(size).toBe(total);
    expect(outHash.digest('hex')).toBe(info.sha256);
  });
});
