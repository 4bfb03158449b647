import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';

/**
 * Streams a body (a Buffer or a stream of Buffers/strings) to `write`, chunk by chunk, measuring
 * what went through: every adapter reports a put's size and SHA-256 the same way, without ever
 * holding the whole body.
 */
export async function writeMeasured(body: Readable | Buffer, write: (chunk: Buffer) => Promise<unknown>): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  const chunks: AsyncIterable<Buffer | string> | Buffer[] = Buffer.isBuffer(body) ? [body] : body;
  for await (const piece of chunks) {
    const chunk = typeof piece === 'string' ? Buffer.from(piece) : piece;
    hash.update(chunk);
    size += chunk.length;
    await write(chunk);
  }
  return { size, sha256: hash.digest('hex') };
}
