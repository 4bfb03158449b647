import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';

export interface S3rverInstance {
  endPoint: '127.0.0.1';
  port: number;
  accessKey: 'S3RVER';
  secretKey: 'S3RVER';
  /** Created empty at start. */
  bucket: string;
  /** Stops the server and deletes its data directory. */
  stop(): Promise<void>;
}

/**
 * An S3-compatible server (s3rver, in-process) on a random loopback port, storing objects in a
 * fresh temporary directory. Its one account is S3RVER/S3RVER: it rejects other access keys, but does
 * not verify V4 signatures, so a wrong secret key goes unnoticed. It supports single PUTs and multipart
 * uploads, but neither listing nor aborting multipart uploads, and its list continuation tokens fail on
 * Node 17+ (they use DES): list with start-after.
 */
export async function startS3rver(options: { bucket?: string } = {}): Promise<S3rverInstance> {
  const directory = await mkdtemp(join(tmpdir(), 'medrec-s3rver-'));
  const bucket = options.bucket ?? `medrec-test-${randomBytes(4).toString('hex')}`;
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    vhostBuckets: false,
    configureBuckets: [{ name: bucket }],
  });
  let address;
  try {
    address = await server.run();
  } catch (error) {
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
  let stopped: Promise<void> | null = null;
  return {
    endPoint: '127.0.0.1',
    port: address.port,
    accessKey: 'S3RVER',
    secretKey: 'S3RVER',
    bucket,
    stop: () =>
      (stopped ??= (async () => {
        try {
          await server.close();
        } finally {
          await rm(directory, { recursive: true, force: true });
        }
      })()),
  };
}
