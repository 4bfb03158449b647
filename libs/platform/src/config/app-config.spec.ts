import { ConfigError, loadConfig } from './app-config';

describe('loadConfig: the archive location of MinIO', () => {
  const minio = { MEDREC_DATA_DIR: '/tmp/medrec-config-spec', BLOB_STORE: 'minio', MINIO_ENDPOINT: 'minio', MINIO_ACCESS_KEY: 'a', MINIO_SECRET_KEY: 'b' };

  it('archives under archive/ in the same bucket by default', () => {
    const config = loadConfig(minio);
    expect(config.blobStore).toMatchObject({ kind: 'minio', bucket: 'medrec' });
    expect(config.blobStore).not.toHaveProperty('archiveBucket');
  });

  it('takes a bucket of its own from MINIO_ARCHIVE_BUCKET', () => {
    expect(loadConfig({ ...minio, MINIO_ARCHIVE_BUCKET: 'medrec-archive' }).blobStore).toMatchObject({ bucket: 'medrec', archiveBucket: 'medrec-archive' });
  });

  it.each(['Bad_Bucket', 'medrec'])('refuses MINIO_ARCHIVE_BUCKET=%s', (bucket) => {
    expect(() => loadConfig({ ...minio, MINIO_ARCHIVE_BUCKET: bucket })).toThrow(ConfigError);
  });
});

describe('loadConfig: MEDREC_LOG_LEVEL', () => {
  const base = { MEDREC_DATA_DIR: '/tmp/medrec-config-spec' };

  it('logs at info unless told otherwise', () => {
    expect(loadConfig(base).logLevel).toBe('info');
    expect(loadConfig({ ...base, MEDREC_LOG_LEVEL: 'debug' }).logLevel).toBe('debug');
  });

  it.each(['verbose', 'INFO', 'info '])('refuses MEDREC_LOG_LEVEL=%j with its own message', (level) => {
    expect(() => loadConfig({ ...base, MEDREC_LOG_LEVEL: level })).toThrow(/MEDREC_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent/);
  });
});
