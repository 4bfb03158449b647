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
