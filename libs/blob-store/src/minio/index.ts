export * from './minio-blob-store';
export * from './minio-key-store';
