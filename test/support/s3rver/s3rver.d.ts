/** The part of s3rver 3.7 (which ships no types) that the test support uses. */
declare module 's3rver' {
  import type { AddressInfo } from 'node:net';

  interface S3rverOptions {
    address?: string;
    port?: number;
    silent?: boolean;
    directory?: string;
    resetOnClose?: boolean;
    allowMismatchedSignatures?: boolean;
    vhostBuckets?: boolean;
    configureBuckets?: { name: string; configs?: (string | Buffer)[] }[];
  }

  interface KoaContext {
    method: string;
    path: string;
    querystring: string;
    status: number;
    type: string;
    body: unknown;
    get(header: string): string;
  }

  class S3rver {
    constructor(options?: S3rverOptions);
    /** Koa's middleware stack (S3rver is a Koa application); composed when the server starts. */
    middleware: Array<(ctx: KoaContext, next: () => Promise<void>) => Promise<void>>;
    store: { existsObject(bucket: string, key: string): Promise<boolean> };
    run(): Promise<AddressInfo>;
    close(): Promise<void>;
  }

  export = S3rver;
}
