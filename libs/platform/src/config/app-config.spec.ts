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

describe('loadConfig: the key store', () => {
  const minio = { BLOB_STORE: 'minio', MINIO_ENDPOINT: 'minio', MINIO_ACCESS_KEY: 'medrec', MINIO_SECRET_KEY: 'secret-key' };

  it('keeps keys in keys.db of the data directory by default', () => {
    expect(loadConfig({ MEDREC_DATA_DIR: '/srv/medrec' }).keyStore).toEqual({ kind: 'sqlite' });
  });

  it('takes the medrec-keys bucket on the blob store MinIO with KEY_STORE=minio, or MINIO_KEY_BUCKET', () => {
    expect(loadConfig({ ...minio, KEY_STORE: 'minio' }).keyStore).toEqual({ kind: 'minio', bucket: 'medrec-keys', cacheTtlMs: 1000 });
    expect(loadConfig({ ...minio, KEY_STORE: 'minio', MINIO_KEY_BUCKET: 'hospital-keys', MEDREC_KEY_CACHE_MS: '0' }).keyStore).toEqual({
      kind: 'minio',
      bucket: 'hospital-keys',
      cacheTtlMs: 0,
    });
  });

  it.each([
    [{ KEY_STORE: 'vault' }, 'KEY_STORE must be sqlite or minio'],
    [{ KEY_STORE: 'minio' }, 'KEY_STORE=minio needs BLOB_STORE=minio'],
    [{ ...minio, KEY_STORE: 'minio', MINIO_KEY_BUCKET: 'Keys_Bucket' }, 'MINIO_KEY_BUCKET must be a valid bucket name'],
    [{ ...minio, KEY_STORE: 'minio', MINIO_KEY_BUCKET: 'medrec' }, 'MINIO_KEY_BUCKET must differ from MINIO_BUCKET and MINIO_ARCHIVE_BUCKET'],
    [{ ...minio, KEY_STORE: 'minio', MINIO_BUCKET: 'scans', MINIO_KEY_BUCKET: 'scans' }, 'MINIO_KEY_BUCKET must differ'],
    [{ ...minio, KEY_STORE: 'minio', MINIO_ARCHIVE_BUCKET: 'medrec-keys' }, 'MINIO_KEY_BUCKET must differ'],
    [{ ...minio, KEY_STORE: 'minio', MEDREC_KEY_CACHE_MS: '-1' }, 'MEDREC_KEY_CACHE_MS must be an integer between 0 and 60000'],
  ] as Array<[NodeJS.ProcessEnv, string]>)('refuses a setting: %#', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });
});
