import { createHash, randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DecryptionError } from './errors';
import { STREAM_OVERHEAD, createDecryptStream, createEncryptStream } from './stream-cipher';

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Feeds `data` in pieces of the given sizes (cycled), to exercise every split of header and tag. */
function chunked(data: Buffer, sizes: number[]): Readable {
  const pieces: Buffer[] = [];
  for (let offset = 0, i = 0; offset < data.length; i++) {
    const size = sizes[i % sizes.length];
    pieces.push(data.subarray(offset, offset + size));
    offset += size;
  }
  return Readable.from(pieces);
}

async function encrypt(key: Buffer, aad: string, data: Buffer): Promise<Buffer> {
  return collect(Readable.from([data]).pipe(createEncryptStream(key, aad)));
}

async function decrypt(key: Buffer, aad: string, sealed: Readable): Promise<Buffer> {
  const out: Buffer[] = [];
  await pipeline(sealed, createDecryptStream(key, aad), new Writable({ write: (c, _e, cb) => (out.push(c), cb()) }));
  return Buffer.concat(out);
}

describe('stream cipher', () => {
  const key = randomBytes(32);
  const aad = 'records/r1/v1/original';
  const data = randomBytes(100_000);

  it('round-trips and adds exactly header + tag', async () => {
    const sealed = await encrypt(key, aad, data);
    expect(sealed.length).toBe(data.length + STREAM_OVERHEAD);
    expect(sealed[0]).toBe(1);
    expect((await decrypt(key, aad, Readable.from([sealed]))).equals(data)).toBe(true);
  });

  it('round-trips an empty stream', async () => {
    const sealed = await collect(Readable.from([]).pipe(createEncryptStream(key, aad)));
    expect(sealed.length).toBe(STREAM_OVERHEAD);
    expect(await decrypt(key, aad, Readable.from([sealed]))).toEqual(Buffer.alloc(0));
  });

  it.each([[[1]], [[5, 7, 3]], [[13, 16, 1]], [[15, 17]], [[4096]]])('decrypts whatever the chunk boundaries (%j)', async (sizes) => {
    const small = data.subarray(0, 5000);
    const sealed = await encrypt(key, aad, small);
    expect((await decrypt(key, aad, chunked(sealed, sizes))).equals(small)).toBe(true);
  });

  it('fails with a wrong key or wrong associated data', async () => {
    const sealed = await encrypt(key, aad, data);
    await expect(decrypt(randomBytes(32), aad, Readable.from([sealed]))).rejects.toBeInstanceOf(DecryptionError);
    await expect(decrypt(key, 'records/r2/v1/original', Readable.from([sealed]))).rejects.toBeInstanceOf(DecryptionError);
  });

  it('fails on a tampered ciphertext byte, tag byte or IV byte', async () => {
    const sealed = await encrypt(key, aad, data);
    for (const index of [5, 500, sealed.length - 20, sealed.length - 1]) {
      const tampered = Buffer.from(sealed);
      tampered[index] ^= 0x80;
      await expect(decrypt(key, aad, chunked(tampered, [1000]))).rejects.toBeInstanceOf(DecryptionError);
    }
  });

  it('fails on an unknown version and on truncation', async () => {
    const sealed = await encrypt(key, aad, data);
    const versioned = Buffer.from(sealed);
    versioned[0] = 2;
    await expect(decrypt(key, aad, Readable.from([versioned]))).rejects.toThrow(/version/);
    await expect(decrypt(key, aad, Readable.from([sealed.subarray(0, sealed.length - 1)]))).rejects.toBeInstanceOf(DecryptionError);
    await expect(decrypt(key, aad, Readable.from([sealed.subarray(0, 20)]))).rejects.toThrow(/truncated/);
    await expect(decrypt(key, aad, Readable.from([sealed.subarray(0, 5)]))).rejects.toThrow(/truncated/);
  });

  it('streams 20 MB through encrypt -> decrypt without holding it whole', async () => {
    const total = 20 * 1024 * 1024;
    const chunk = 64 * 1024;
    const sourceHash = createHash('sha256');
    const sinkHash = createHash('sha256');
    let produced = 0;
    let received = 0;
    let producedWhenFirstReceived = -1;
    const source = new Readable({
      read() {
        if (produced >= total) return void this.push(null);
        const piece = randomBytes(chunk);
        sourceHash.update(piece);
        produced += piece.length;
        this.push(piece);
      },
    });
    const sink = new Writable({
      write(piece: Buffer, _encoding, callback) {
        if (producedWhenFirstReceived < 0) producedWhenFirstReceived = produced;
        received += piece.length;
        sinkHash.update(piece);
        callback();
      },
    });
    await pipeline(source, createEncryptStream(key, aad), createDecryptStream(key, aad), sink);
    expect(received).toBe(total);
    expect(sinkHash.digest('hex')).toBe(sourceHash.digest('hex'));
    // Output began long before the source was exhausted: the pipeline streams.
    expect(producedWhenFirstReceived).toBeLessThan(1024 * 1024);
  });
});
