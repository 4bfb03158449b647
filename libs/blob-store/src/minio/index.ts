export * from './minio-blob-store';
