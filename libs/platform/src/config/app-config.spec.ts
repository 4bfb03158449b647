import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

describe('loadConfig: secrets from files, CORS, proxies, shutdown', () => {
  const base = { MEDREC_DATA_DIR: '/tmp/medrec-config-spec' };
  const SECRET = 'dGhpcyBpcyBhIHRva2VuIHNlY3JldCBvZiAzMiBieXRlcyEh'; // 35 bytes
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'medrec-secrets-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const problemsOf = (env: Record<string, string>): string => {
    try {
      loadConfig({ ...base, ...env });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as Error).message;
    }
    throw new Error('no ConfigError');
  };

  it('reads a secret from X_FILE, trimmed', () => {
    writeFileSync(join(dir, 'token'), `${SECRET}\n`);
    expect(loadConfig({ ...base, MEDREC_TOKEN_SECRET_FILE: join(dir, 'token') }).tokenSecret).toBe(SECRET);
  });

  it('refuses X and X_FILE together, a missing file and an empty one, never quoting the secret', () => {
    writeFileSync(join(dir, 'token'), SECRET);
    writeFileSync(join(dir, 'empty'), '\n');
    const both = problemsOf({ MEDREC_TOKEN_SECRET: SECRET, MEDREC_TOKEN_SECRET_FILE: join(dir, 'token') });
    expect(both).toContain('MEDREC_TOKEN_SECRET and MEDREC_TOKEN_SECRET_FILE are both set');
    expect(problemsOf({ MINIO_SECRET_KEY_FILE: join(dir, 'missing') })).toContain(
      `MINIO_SECRET_KEY_FILE names a file that cannot be read: ${join(dir, 'missing')} (ENOENT)`,
    );
    expect(problemsOf({ MEDREC_MASTER_KEY_FILE: join(dir, 'empty') })).toContain('MEDREC_MASTER_KEY_FILE names an empty file');
    expect(both).not.toContain(SECRET);
  });

  it('refuses a malformed master key without quoting it', () => {
    const message = problemsOf({ MEDREC_MASTER_KEY: 'not-a-key-at-all' });
    expect(message).toContain('MEDREC_MASTER_KEY must encode exactly 32 bytes');
    expect(message).not.toContain('not-a-key-at-all');
  });

  it('takes exact CORS origins and refuses a wildcard, a path or a bare host', () => {
    expect(loadConfig(base).corsOrigins).toEqual([]);
    expect(loadConfig({ ...base, MEDREC_CORS_ORIGINS: 'https://a.example.org, http://localhost:5173' }).corsOrigins).toEqual([
      'https://a.example.org',
      'http://localhost:5173',
    ]);
    expect(problemsOf({ MEDREC_CORS_ORIGINS: '*' })).toContain('MEDREC_CORS_ORIGINS entry 1 is a wildcard');
    expect(problemsOf({ MEDREC_CORS_ORIGINS: 'https://a.example.org/app' })).toContain('entry 1 is not an exact origin: write it as https://a.example.org');
    expect(problemsOf({ MEDREC_CORS_ORIGINS: 'https://a.example.org,a.example.org' })).toContain('entry 2');
    expect(problemsOf({ MEDREC_CORS_ORIGINS: 'ftp://a.example.org' })).toContain('must start with https:// or http://');
  });

  it('trusts no proxy by default; hops, addresses and ranges when set; never "true"', () => {
    expect(loadConfig(base).trustProxy).toBe(false);
    expect(loadConfig({ ...base, MEDREC_TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ ...base, MEDREC_TRUST_PROXY: 'loopback, 10.0.0.0/8, fd00::/8' }).trustProxy).toEqual(['loopback', '10.0.0.0/8', 'fd00::/8']);
    expect(problemsOf({ MEDREC_TRUST_PROXY: 'true' })).toContain('MEDREC_TRUST_PROXY');
    expect(problemsOf({ MEDREC_TRUST_PROXY: '10.0.0.0/8,proxy.local' })).toContain('MEDREC_TRUST_PROXY entry 2');
    for (const bad of ['10.0.0.0/33', '::::', 'fd00::/129', '10.0.0.1/8/8', '300.1.1.1'])
      expect(problemsOf({ MEDREC_TRUST_PROXY: bad })).toContain('MEDREC_TRUST_PROXY entry 1');
  });

  it('bounds MEDREC_SHUTDOWN_TIMEOUT_MS', () => {
    expect(loadConfig(base).shutdownTimeoutMs).toBe(25_000);
    expect(problemsOf({ MEDREC_SHUTDOWN_TIMEOUT_MS: '-1' })).toContain('MEDREC_SHUTDOWN_TIMEOUT_MS must be an integer between 1000 and 600000');
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

describe('loadConfig: MEDREC_OCR_PREPROCESS', () => {
  const base = { MEDREC_DATA_DIR: '/tmp/medrec-config-spec' };
  it('smooths bilevel pages by default, takes none, refuses anything else by name', () => {
    expect(loadConfig(base).ocr.preprocess).toBe('smooth-bilevel');
    expect(loadConfig({ ...base, MEDREC_OCR_PREPROCESS: 'none' }).ocr.preprocess).toBe('none');
    expect(() => loadConfig({ ...base, MEDREC_OCR_PREPROCESS: 'deskew' })).toThrow(/MEDREC_OCR_PREPROCESS must be one of smooth-bilevel, none/);
  });
});

describe('loadConfig: MEDREC_OCR_LEXICON', () => {
  const base = { MEDREC_DATA_DIR: '/tmp/medrec-config-spec' };
  it('gives the OCR the clinical lexicon unless told not to', () => {
    expect(loadConfig(base).ocr.lexicon).toBe(true);
    expect(loadConfig({ ...base, MEDREC_OCR_LEXICON: 'false' }).ocr.lexicon).toBe(false);
    expect(() => loadConfig({ ...base, MEDREC_OCR_LEXICON: 'maybe' })).toThrow(/MEDREC_OCR_LEXICON must be true or false/);
  });
});

describe('loadConfig: MEDREC_OCR_IDLE_SECONDS', () => {
  const base = { MEDREC_DATA_DIR: '/tmp/medrec-config-spec' };

  it('closes the idle OCR workers after a minute unless told otherwise', () => {
    expect(loadConfig(base).ocr.idleSeconds).toBe(60);
    expect(loadConfig({ ...base, MEDREC_OCR_IDLE_SECONDS: '5' }).ocr.idleSeconds).toBe(5);
  });

  it.each(['0', '-1', '1.5', 'soon', '86401'])('refuses %s', (value) => {
    expect(() => loadConfig({ ...base, MEDREC_OCR_IDLE_SECONDS: value })).toThrow(/MEDREC_OCR_IDLE_SECONDS/);
  });
});

describe('loadConfig: MEDREC_OCR_CONCURRENCY', () => {
  const base = { MEDREC_DATA_DIR: '/tmp/medrec-config-spec' };

  it('prepares one document for every two OCR workers unless told otherwise', () => {
    const concurrency = (env: Record<string, string>) => loadConfig({ ...base, ...env }).ocr.concurrency;
    expect(concurrency({ MEDREC_OCR_WORKERS: '1' })).toBe(1);
    expect(concurrency({ MEDREC_OCR_WORKERS: '2' })).toBe(1);
    expect(concurrency({ MEDREC_OCR_WORKERS: '3' })).toBe(1);
    expect(concurrency({ MEDREC_OCR_WORKERS: '8' })).toBe(4);
    expect(concurrency({ MEDREC_OCR_WORKERS: '2', MEDREC_OCR_CONCURRENCY: '2' })).toBe(2);
  });
});
