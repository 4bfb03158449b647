import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@medrec/platform';
import { createApp } from '../../../apps/api/src/create-app';
import type { Role } from '@medrec/domain';

/** Follows the password policy (12+ characters, not common, not containing the username). */
export const ADMIN_PASSWORD = 'first-boot-secret-for-tests';

/**
 * Sign-in limits out of the way of suites that sign in often from one address: the shipped
 * defaults are tested by sign-in-security.e2e-spec.ts (an empty value there means the default).
 */
export const GENEROUS_SIGN_IN_LIMITS = {
  MEDREC_SIGNIN_LIMIT_PER_ADDRESS: '100000',
  MEDREC_SIGNIN_LIMIT_PER_USERNAME: '100000',
  MEDREC_PASSWORD_HASH_QUEUE: '10000',
};

export interface TestApp {
  app: INestApplication;
  baseUrl: string;
  dataDir: string;
  close(options?: { keepData?: boolean }): Promise<void>;
}

/** The real app — on embedded defaults (SQLite, filesystem) unless `env` says otherwise — in a fresh data directory, on a loopback port. */
export async function startApp(dataDir = mkdtempSync(join(tmpdir(), 'medrec-e2e-')), env: Record<string, string> = {}): Promise<TestApp> {
  // OCR stays off unless a test asks for it: most tests upload a tiny image and need no recognition.
  const config = loadConfig({
    MEDREC_DATA_DIR: dataDir,
    MEDREC_ADMIN_PASSWORD: ADMIN_PASSWORD,
    PORT: '0',
    MEDREC_OCR_IN_PROCESS: 'false',
    // Likewise stack splitting, which appends in the background: the stacks suites turn it on.
    MEDREC_STACKS_SPLIT: 'false',
    ...GENEROUS_SIGN_IN_LIMITS,
    ...env,
  });
  const app = await createApp(config, process.env.E2E_LOGS ? undefined : false);
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as import('node:net').AddressInfo;
  const baseUrl = `http://127.0.0.1:${address.port}`;
  return {
    app,
    baseUrl,
    dataDir,
    async close(options = {}) {
      await app.close();
      if (!options.keepData) {
        rmSync(dataDir, { recursive: true, force: true });
        // Kept beside the data directory (never in it), so a test's destructions leave it behind.
        rmSync(config.destructionLedger, { force: true });
      }
    },
  };
}

export interface Response<T = any> {
  status: number;
  headers: Headers;
  body: T;
  contentType: string;
  raw: Buffer;
}

/** A small HTTP client over fetch that returns status, headers and the parsed body. */
export class Client {
  constructor(
    readonly baseUrl: string,
    private token?: string,
  ) {}

  withToken(token: string): Client {
    return new Client(this.baseUrl, token);
  }

  async request<T = any>(
    method: string,
    path: string,
    options: { json?: unknown; form?: FormData; headers?: Record<string, string>; body?: string | Uint8Array; signal?: AbortSignal } = {},
  ): Promise<Response<T>> {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let body: string | Uint8Array | FormData | undefined = options.body;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.form) {
      body = options.form;
    }
    const res = await fetch(this.baseUrl + path, { method, headers, body, signal: options.signal });
    const raw = Buffer.from(await res.arrayBuffer());
    const contentType = res.headers.get('content-type') ?? '';
    const parsed = /json/.test(contentType) && raw.length > 0 ? JSON.parse(raw.toString('utf8')) : raw;
    return { status: res.status, headers: res.headers, body: parsed as T, contentType, raw };
  }

  get<T = any>(path: string, headers?: Record<string, string>) {
    return this.request<T>('GET', path, { headers });
  }

  post<T = any>(path: string, json?: unknown, headers?: Record<string, string>) {
    return this.request<T>('POST', path, { json: json ?? {}, headers });
  }
}

export async function login(baseUrl: string, username: string, password: string): Promise<Client> {
  const res = await new Client(baseUrl).post('/api/auth/token', { username, password });
  if (res.status !== 200) throw new Error(`login ${username} failed: ${res.status} ${JSON.stringify(res.body)}`);
  return new Client(baseUrl, res.body.accessToken);
}

export const PASSWORD = 'correct-horse-battery';

/** Creates one user per role (plus a second archivist for approvals) and logs each in. */
export async function usersByRole(baseUrl: string): Promise<Record<Role | 'archivist2', Client>> {
  const admin = await login(baseUrl, 'admin', ADMIN_PASSWORD);
  const roles: Role[] = ['clerk', 'clinician', 'him', 'legal', 'archivist', 'auditor'];
  const clients: Partial<Record<Role | 'archivist2', Client>> = { admin };
  for (const role of roles) {
    const res = await admin.post('/api/users', { username: `${role}1`, password: PASSWORD, roles: [role] });
    if (res.status !== 201) throw new Error(`create ${role}: ${res.status} ${JSON.stringify(res.body)}`);
    clients[role] = await login(baseUrl, `${role}1`, PASSWORD);
  }
  await admin.post('/api/users', { username: 'archivist2', password: PASSWORD, roles: ['archivist'] });
  clients.archivist2 = await login(baseUrl, 'archivist2', PASSWORD);
  return clients as Record<Role | 'archivist2', Client>;
}

/**
 * Dual control: archivist2 approves the destruction of the record as it stands, then archivist1
 * destroys it naming archivist2. Returns the answer to the destroy.
 */
export async function approveAndDestroy(u: { archivist: Client; archivist2: Client }, id: string, authority = 'Schedule GS-12'): Promise<Response> {
  const approval = await u.archivist2.post(`/api/records/${id}/destruction-approvals`, { authority });
  if (approval.status !== 201) throw new Error(`approve the destruction: ${approval.status} ${JSON.stringify(approval.body)}`);
  return u.archivist.post(`/api/records/${id}/destroy`, { authority, approvedBy: 'archivist2' });
}

/**
 * A small valid PNG (16 x 16, 8-bit gray, 81 bytes) — the content type is detected from these bytes.
 * Not smaller: a page under MEDREC_MIN_PAGE_SIDE_PIXELS (16) is refused (page-too-narrow).
 */
export const TINY_PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAAAAAA6mKC9AAAAGElEQVR4nGNgaEAF6HzaCTBg5dDfHSgSAOhufgEUIq2bAAAAAElFTkSuQmCC', 'base64');

export function recordForm(overrides: Record<string, string> = {}, file: Buffer | null = TINY_PNG, filename = 'scan.png'): FormData {
  const form = new FormData();
  const fields = {
    mrn: '00482913',
    patientName: 'Jane Example',
    dateOfBirth: '1961-04-12',
    documentType: 'discharge-summary',
    title: 'Discharge summary after appendectomy',
    encounterDate: '2024-03-02',
    // The same tiny image stands for every scan here; duplicate detection has its own tests.
    allowDuplicate: 'true',
    ...overrides,
  };
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  if (file) form.append('file', new Blob([file]), filename);
  return form;
}

export const purpose = (p: string) => ({ 'x-purpose-of-use': p });
