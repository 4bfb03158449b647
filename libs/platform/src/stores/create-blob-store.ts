import { BlobStore, FilesystemBlobStore } from '@medrec/blob-store';
import type { AppConfig } from '../config/app-config';

/** The configured blob store, ready for use: a MinIO bucket is created if missing, which also proves it reachable. */
export async function createBlobStore(config: AppConfig): Promise<BlobStore> {
  const settings = config.blobStore;
  if (settings.kind === 'fs') return new FilesystemBlobStore(settings.root);
  // Loaded only when chosen, so the embedded default never pulls in the S3 client.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { MinioBlobStore } = require('@medrec/blob-store/minio') as typeof import('@medrec/blob-store/minio');
  const { endPoint, port, useSSL, accessKey, secretKey, bucket } = settings;
  const store = new MinioBlobStore({ endPoint, port, useSSL, accessKey, secretKey, bucket });
  await store.ensureBucket();
  return store;
}
