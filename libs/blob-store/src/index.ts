export * from './blob-store.port';
export * from './blob-key';
export * from './fs/filesystem-blob-store';
export * from './encrypted-blob-store';
export * from './record-blobs';
export * from './archiving-blob-store';
