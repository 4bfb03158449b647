import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServerProcess } from '../support/server-process';
import { startConfiguredApp } from './support/configured-app';
import { Client, login } from './support/harness';

const ALLOWED = 'https://records.example.org';

function preflight(baseUrl: string, origin: string): Promise<globalThis.Response> {
  return fetch(`${baseUrl}/api/records`, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,x-purpose-of-use' },
  });
}

describe('CORS', () => {
  it('is off by default: a cross-origin preflight and request get no CORS header', async () => {
    const t = await startConfiguredApp({});
    try {
      const res = await preflight(t.baseUrl, ALLOWED);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      expect(res.headers.get('access-control-allow-methods')).toBeNull();
      const get = await fetch(`${t.baseUrl}/health/live`, { headers: { origin: ALLOWED } });
      expect(get.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await t.close();
    }
  });

  it('allows exactly the configured origins, the methods and headers the API uses, and exposes its answer headers', async () => {
    const t = await startConfiguredApp({ MEDREC_CORS_ORIGINS: `${ALLOWED},http://localhost:5173` });
    try {
      const res = await preflight(t.baseUrl, ALLOWED);
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED);
      expect(res.headers.get('access-control-allow-methods')).toContain('POST');
      expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toEqual(expect.stringContaining('x-purpose-of-use'));
      expect(res.headers.get('access-control-allow-credentials')).toBeNull();

      const get = await fetch(`${t.baseUrl}/health/live`, { headers: { origin: ALLOWED } });
      expect(get.headers.get('access-control-allow-origin')).toBe(ALLOWED);
      expect(get.headers.get('access-control-expose-headers')).toEqual(expect.stringContaining('X-Request-Id'));

      for (const other of ['https://evil.example.org', 'https://records.example.org.evil.example', 'http://records.example.org']) {
        expect((await preflight(t.baseUrl, other)).headers.get('access-control-allow-origin')).toBeNull();
      }
    } finally {
      await t.close();
    }
  });
});

describe('behind a reverse proxy (MEDREC_TRUST_PROXY)', () => {
  /** Three wrong passwords from three addresses the proxy names; the per-address limit is 2. */
  async function statusesFromThreeClients(env: Record<string, string>): Promise<number[]> {
    const t = await startConfiguredApp({ MEDREC_SIGNIN_LIMIT_PER_ADDRESS: '2', ...env });
    try {
      const statuses: number[] = [];
      for (const address of ['203.0.113.1', '203.0.113.2', '203.0.113.3']) {
        const res = await new Client(t.baseUrl).request('POST', '/api/auth/token', {
          json: { username: 'admin', password: 'not-the-password' },
          headers: { 'x-forwarded-for': address },
        });
        statuses.push(res.status);
      }
      return statuses;
    } finally {
      await t.close();
    }
  }

  it('ignores X-Forwarded-For by default (a client cannot pick its own address), and counts the forwarded client when the proxy is trusted', async () => {
    expect(await statusesFromThreeClients({})).toEqual([401, 401, 429]);
    expect(await statusesFromThreeClients({ MEDREC_TRUST_PROXY: 'loopback' })).toEqual([401, 401, 401]);
  });
});

describe('secrets', () => {
  it('come from files, and neither they nor the generated admin password appear in the output or the process list', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'medrec-secrets-'));
    const secrets = mkdtempSync(join(tmpdir(), 'medrec-secret-files-'));
    const masterKey = randomBytes(32).toString('base64');
    const tokenSecret = randomBytes(32).toString('base64');
    writeFileSync(join(secrets, 'master_key'), `${masterKey}\n`);
    writeFileSync(join(secrets, 'token_secret'), `${tokenSecret}\n`);
    const server = await startServerProcess(dataDir, {
      MEDREC_MASTER_KEY_FILE: join(secrets, 'master_key'),
      MEDREC_TOKEN_SECRET_FILE: join(secrets, 'token_secret'),
      MEDREC_ADMIN_PASSWORD: '',
    });
    try {
      const passwordFile = join(dataDir, 'initial-admin-password');
      expect(statSync(passwordFile).mode & 0o777).toBe(0o600);
      const password = readFileSync(passwordFile, 'utf8').trim();
      await login(server.baseUrl, 'admin', password);
      const commandLine = readFileSync(`/proc/${server.child.pid}/cmdline`, 'utf8');
      for (const secret of [masterKey, tokenSecret, password]) {
        expect(server.output()).not.toContain(secret);
        expect(commandLine).not.toContain(secret);
      }
      expect(server.output()).toContain(passwordFile);
      // The master key came from the file: none was generated into the data directory.
      expect(() => statSync(join(dataDir, 'master.key'))).toThrow();
    } finally {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(secrets, { recursive: true, force: true });
    }
  });
});
