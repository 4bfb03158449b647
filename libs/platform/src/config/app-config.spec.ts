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

describe('loadConfig: metrics and readiness', () => {
  const base = { MEDREC_DATA_DIR: '/tmp/medrec-config-spec' };

  it('serves metrics to loopback only, on no port of their own, and never fails readiness for lag, by default', () => {
    const config = loadConfig(base);
    expect(config.metrics).toEqual({});
    expect(config).not.toHaveProperty('readyMaxLag');
  });

  it('takes MEDREC_METRICS_TOKEN, MEDREC_METRICS_PORT and MEDREC_READY_MAX_LAG', () => {
    const token = 'f'.repeat(64);
    const config = loadConfig({ ...base, MEDREC_METRICS_TOKEN: token, MEDREC_METRICS_PORT: '9464', MEDREC_READY_MAX_LAG: '1000' });
    expect(config.metrics).toEqual({ token, port: 9464 });
    expect(config.readyMaxLag).toBe(1000);
  });

  it.each([
    ['MEDREC_METRICS_TOKEN', 'short', 'MEDREC_METRICS_TOKEN must be 32 to 256 printable characters'],
    ['MEDREC_METRICS_TOKEN', `${'a'.repeat(20)} ${'b'.repeat(20)}`, 'MEDREC_METRICS_TOKEN must be 32 to 256 printable characters'],
    ['MEDREC_METRICS_PORT', '70000', 'MEDREC_METRICS_PORT must be an integer between 1 and 65535'],
    ['MEDREC_READY_MAX_LAG', '0', 'MEDREC_READY_MAX_LAG must be an integer between 1 and 1000000000'],
  ])('refuses %s=%s', (name, value, message) => {
    expect(() => loadConfig({ ...base, [name]: value })).toThrow(message);
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

describe('loadConfig: the destruction ledger', () => {
  it('lives beside the data directory by default, never in it', () => {
    expect(loadConfig({ MEDREC_DATA_DIR: '/srv/medrec/data' }).destructionLedger).toBe('/srv/medrec/data-destruction-ledger.jsonl');
    expect(loadConfig({ MEDREC_DATA_DIR: '/srv/medrec/data', MEDREC_DESTRUCTION_LEDGER: '/var/lib/ledger/d.jsonl' }).destructionLedger).toBe(
      '/var/lib/ledger/d.jsonl',
    );
  });

  it.each(['/srv/medrec/data/ledger.jsonl', '/srv/medrec/data'])('refuses MEDREC_DESTRUCTION_LEDGER=%s inside the data directory', (ledger) => {
    expect(() => loadConfig({ MEDREC_DATA_DIR: '/srv/medrec/data', MEDREC_DESTRUCTION_LEDGER: ledger })).toThrow(/MEDREC_DESTRUCTION_LEDGER must be outside/);
  });
});
