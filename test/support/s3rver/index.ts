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
 * Node 17+ (they use DES): list with start-after. It ignores `If-None-Match` on PUT, as older MinIO
 * releases do; `conditionalWrites: true` adds it as AWS S3 and current MinIO have it (below).
 */
export async function startS3rver(options: { bucket?: string; conditionalWrites?: boolean } = {}): Promise<S3rverInstance> {
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
  if (options.conditionalWrites) server.middleware.unshift(conditionalPuts(server));
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

/**
 * `If-None-Match: *` on a single PUT, as S3 answers it: 412 PreconditionFailed when the object
 * exists. Conditional PUTs of one object are serialized, so of two at once exactly one writes.
 */
function conditionalPuts(server: S3rver): S3rver['middleware'][number] {
  const queues = new Map<string, Promise<void>>();
  return async (ctx, next) => {
    const target = /^\/([^/]+)\/(.+)$/.exec(ctx.path);
    if (ctx.method !== 'PUT' || ctx.get('if-none-match') !== '*' || ctx.querystring !== '' || !target) return next();
    const [bucket, key] = [target[1], decodeURIComponent(target[2])];
    const name = `${bucket}/${key}`;
    const previous = queues.get(name) ?? Promise.resolve();
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    const turn = previous.then(() => done);
    queues.set(name, turn);
    await previous;
    try {
      if (await server.store.existsObject(bucket, key)) {
        ctx.status = 412;
        ctx.type = 'application/xml';
        ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message><Key>${key}</Key></Error>`;
        return;
      }
      await next();
    } finally {
      release();
      if (queues.get(name) === turn) queues.delete(name);
    }
  };
}
