import { ArchivingBlobStore, FilesystemBlobStore } from '@medrec/blob-store';
import type { AppConfig } from '../config/app-config';

/**
 * The configured blob store, ready for use, with its archive location (ArchivingBlobStore):
 * `archive/` in fs mode and in a MinIO bucket without MINIO_ARCHIVE_BUCKET, else that bucket. A
 * MinIO bucket is created if missing, which also proves it reachable.
 */
export async function createBlobStore(config: AppConfig): Promise<ArchivingBlobStore> {
  const settings = config.blobStore;
  if (settings.kind === 'fs') return ArchivingBlobStore.withPrefix(new FilesystemBlobStore(settings.root));
  // Loaded only when chosen, so the embedded default never pulls in the S3 client.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { MinioBlobStore } = require('@medrec/blob-store/minio') as typeof import('@medrec/blob-store/minio');
  const { endPoint, port, useSSL, accessKey, secretKey, bucket, archiveBucket } = settings;
  const store = new MinioBlobStore({ endPoint, port, useSSL, accessKey, secretKey, bucket });
  await store.ensureBucket();
  if (!archiveBucket) return ArchivingBlobStore.withPrefix(store);
  const archive = new MinioBlobStore({ endPoint, port, useSSL, accessKey, secretKey, bucket: archiveBucket });
  await archive.ensureBucket();
  return new ArchivingBlobStore(store, archive, '');
}
