import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnBuilt } from '../support/server-process';

/** Secret values given to the broken settings: none may appear in what the process prints. */
const SECRETS = {
  masterKey: 'broken-master-key-value-7f3a',
  tokenSecret: Buffer.from('too-short-secret').toString('base64'),
  minio: 'minio-secret-value-9c21',
  admin: 'admin-password-value-4e88-long-enough',
};

interface Case {
  name: string;
  env: Record<string, string>;
  /** What the message must say (the variable, and the rule). */
  says: RegExp;
  entry?: string;
}

describe('broken settings', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'medrec-broken-settings-'));
    writeFileSync(join(dir, 'a-file'), 'not a directory');
    writeFileSync(join(dir, 'admin-password'), SECRETS.admin);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const cases = (): Case[] => [
    { name: 'a port that is not a number', env: { PORT: 'abc' }, says: /PORT must be an integer between 0 and 65535/ },
    { name: 'an unknown event store', env: { EVENT_STORE: 'mysql' }, says: /EVENT_STORE must be sqlite or eventstoredb/ },
    {
      name: 'EventStoreDB without its connection string',
      env: { EVENT_STORE: 'eventstoredb' },
      says: /EVENT_STORE=eventstoredb needs EVENTSTORE_CONNECTION_STRING/,
    },
    {
      name: 'MinIO without an endpoint',
      env: { BLOB_STORE: 'minio', MINIO_ACCESS_KEY: 'medrec', MINIO_SECRET_KEY: SECRETS.minio },
      says: /BLOB_STORE=minio needs MINIO_ENDPOINT/,
    },
    { name: 'a malformed master key', env: { MEDREC_MASTER_KEY: SECRETS.masterKey }, says: /MEDREC_MASTER_KEY must encode exactly 32 bytes/ },
    { name: 'a token secret too short', env: { MEDREC_TOKEN_SECRET: SECRETS.tokenSecret }, says: /MEDREC_TOKEN_SECRET must be base64 of at least 32 bytes/ },
    { name: 'a CORS wildcard', env: { MEDREC_CORS_ORIGINS: '*' }, says: /MEDREC_CORS_ORIGINS entry 1 is a wildcard/ },
    {
      name: 'a negative shutdown timeout',
      env: { MEDREC_SHUTDOWN_TIMEOUT_MS: '-1' },
      says: /MEDREC_SHUTDOWN_TIMEOUT_MS must be an integer between 1000 and 600000/,
    },
    {
      name: 'a secret file that does not exist',
      env: { MEDREC_TOKEN_SECRET_FILE: join(dir, 'missing') },
      says: /MEDREC_TOKEN_SECRET_FILE names a file that cannot be read: .*missing \(ENOENT\)/,
    },
    {
      name: 'a secret both set and given as a file',
      env: { MEDREC_ADMIN_PASSWORD: SECRETS.admin, MEDREC_ADMIN_PASSWORD_FILE: join(dir, 'admin-password') },
      says: /MEDREC_ADMIN_PASSWORD and MEDREC_ADMIN_PASSWORD_FILE are both set/,
    },
    {
      name: 'a data directory that cannot be made',
      env: { MEDREC_DATA_DIR: join(dir, 'a-file', 'data') },
      says: /MEDREC_DATA_DIR .* cannot be used \(ENOTDIR\)/,
    },
    { name: 'trusting every proxy', env: { MEDREC_TRUST_PROXY: 'true' }, says: /MEDREC_TRUST_PROXY entry 1 must be an IP address/ },
    {
      name: 'the worker with no OCR thread',
      env: { MEDREC_OCR_WORKERS: '0' },
      says: /MEDREC_OCR_WORKERS must be an integer between 1 and 64/,
      entry: 'apps/worker/src/main',
    },
  ];

  it('each stops the process at once with a non-zero exit and a message of its own naming the setting, never a secret value', async () => {
    const all = cases();
    const started = Date.now();
    // All at once: each process only loads its code and reads its configuration.
    const results = await Promise.all(
      all.map(async (c, i) => {
        const env = { MEDREC_DATA_DIR: join(dir, `data-${i}`), PORT: '0', HOST: '127.0.0.1', MEDREC_ADMIN_PASSWORD: '', ...c.env };
        const child = spawnBuilt(c.entry ?? 'apps/api/src/main', env);
        const timer = setTimeout(() => child.child.kill('SIGKILL'), 45_000);
        const { code, signal } = await child.exited;
        clearTimeout(timer);
        return { name: c.name, code, signal, output: child.output() };
      }),
    );
    const messages = new Set<string>();
    for (const [i, r] of results.entries()) {
      expect({ name: r.name, signal: r.signal, failed: r.code !== 0 && r.code !== null }).toEqual({ name: r.name, signal: null, failed: true });
      expect({ name: r.name, output: r.output }).toEqual({ name: r.name, output: expect.stringMatching(all[i].says) });
      for (const secret of Object.values(SECRETS)) expect({ name: r.name, leaked: r.output.includes(secret) }).toEqual({ name: r.name, leaked: false });
      // One setting broken, one problem reported.
      const problems = r.output.match(/^ - .*$/gm) ?? [];
      expect({ name: r.name, problems: problems.length }).toEqual({ name: r.name, problems: r.output.includes('Invalid configuration') ? 1 : 0 });
      messages.add(all[i].says.source);
    }
    expect(messages.size).toBe(all.length);
    expect(Date.now() - started).toBeLessThan(45_000);
  }, 60_000);
});
