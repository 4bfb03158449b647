import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliError } from '../../cli-error';
import type { RecordFields } from './manifest-entries';
import { MedrecClient, RequestAborted } from './medrec-client';

/**
 * The client's handling of answers the real server gives only when something goes wrong
 * (5xx, dropped connections, expired tokens), against a scripted HTTP server. The happy paths
 * run against the real app in ingest.command.spec.ts.
 */
type Handler = (req: IncomingMessage, body: Buffer, res: ServerResponse) => void;

const FIELDS: RecordFields = { mrn: 'MRN-0001', patientName: 'Ada Example', dateOfBirth: '1970-01-31', documentType: 'lab-report', title: 'CBC' };
const PASSWORD = { kind: 'password', username: 'clerk1', password: 'pw-for-tests' } as const;

function json(res: ServerResponse, status: number, body: unknown, type = 'application/json') {
  res.writeHead(status, { 'content-type': type }).end(JSON.stringify(body));
}

describe('MedrecClient', () => {
  let server: Server;
  let baseUrl: string;
  let folder: string;
  let file: string;
  let uploads: Handler[];
  let requests: { method: string; url: string; authorization?: string; body: Buffer }[];
  let logins: number;

  beforeEach(async () => {
    folder = mkdtempSync(join(tmpdir(), 'medrec-client-'));
    file = join(folder, 'scan.png');
    writeFileSync(file, 'file-bytes-0123456789');
    uploads = [];
    requests = [];
    logins = 0;
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        requests.push({ method: req.method!, url: req.url!, authorization: req.headers.authorization, body });
        if (req.url === '/api/auth/token') {
          logins++;
          const { password } = JSON.parse(body.toString());
          if (password !== PASSWORD.password) return json(res, 401, { status: 401, detail: 'Invalid credentials' }, 'application/problem+json');
          return json(res, 200, { accessToken: `token-${logins}`, expiresIn: 900 });
        }
        const next = uploads.shift();
        if (!next) return json(res, 500, { status: 500, detail: 'no scripted answer' });
        next(req, body, res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(folder, { recursive: true, force: true });
  });

  const created =
    (id = 'r-1'): Handler =>
    (_req, _body, res) =>
      json(res, 201, { id, version: 1, revision: 0, position: 7, sha256: 'ab'.repeat(32), pages: 2, contentType: 'image/png' });
  const status =
    (code: number, problem: object = {}): Handler =>
    (_req, _body, res) =>
      json(res, code, { status: code, ...problem }, 'application/problem+json');

  it('sends the fields and the file as multipart with the bearer token', async () => {
    uploads.push(created());
    const client = new MedrecClient(baseUrl, PASSWORD, { retryBaseMs: 1 });

    await expect(client.createRecord(file, 'scan.png', FIELDS)).resolves.toEqual({
      kind: 'created',
      recordId: 'r-1',
      sha256: 'ab'.repeat(32),
      pages: 2,
      contentType: 'image/png',
    });

    const upload = requests.find((r) => r.url === '/api/records')!;
    expect(upload.authorization).toBe('Bearer token-1');
    const body = upload.body.toString();
    for (const [name, value] of Object.entries(FIELDS)) expect(body).toContain(`name="${name}"\r\n\r\n${value}\r\n`);
    expect(body).toMatch(/name="file"; filename="scan.png"\r\nContent-Type: application\/octet-stream\r\n\r\nfile-bytes-0123456789\r\n/);
    expect(body.indexOf('name="mrn"')).toBeLessThan(body.indexOf('name="file"'));
  });

  it('retries 5xx answers with backoff and gives up after three retries', async () => {
    uploads.push(status(503, { detail: 'busy' }), status(502), created('r-2'));
    const client = new MedrecClient(baseUrl, PASSWORD, { retryBaseMs: 1 });
    await expect(client.createRecord(file, 'scan.png', FIELDS)).resolves.toMatchObject({ kind: 'created', recordId: 'r-2' });

    uploads.push(status(500, { detail: 'An unexpected error occurred' }), status(503), status(504), status(503, { detail: 'still busy' }), created('never'));
    await expect(client.createRecord(file, 'scan.png', FIELDS)).resolves.toEqual({ kind: 'failed', error: '503 still busy', attempts: 4 });
    expect(uploads).toHaveLength(1);
    expect(logins).toBe(1);
  });

  it("waits as long as the server's Retry-After says instead of its own backoff, at most 60 s", async () => {
    const pauses: number[] = [];
    const sleep = async (ms: number) => void pauses.push(ms);
    const busy =
      (code: number, retryAfter: string): Handler =>
      (_req, _body, res) =>
        res.writeHead(code, { 'content-type': 'application/problem+json', 'retry-after': retryAfter }).end(JSON.stringify({ status: code }));
    const client = new MedrecClient(baseUrl, PASSWORD, { retryBaseMs: 1000, sleep });

    uploads.push(busy(503, '2'), busy(429, '600'), status(502), created('r-9'));
    await expect(client.createRecord(file, 'scan.png', FIELDS)).resolves.toMatchObject({ kind: 'created', recordId: 'r-9' });

    // 2 s as asked; 600 s capped at 60 s; no Retry-After: the client's own backoff (4-8 s on the third retry).
    expect(pauses.slice(0, 2)).toEqual([2000, 60_000]);
    expect(pauses).toHaveLength(3);
    expect(pauses[2]).toBeGreaterThanOrEqual(4000);
    expect(pauses[2]).toBeLessThan(8000);
  });

  it('honours Retry-After on sign-in too (503 while hashing slots are taken)', async () => {
    const pauses: number[] = [];
    let busyOnce = true;
    server.removeAllListeners('request');
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      req.resume();
      req.on('end', () => {
        if (busyOnce) {
          busyOnce = false;
          return res.writeHead(503, { 'retry-after': '1' }).end();
        }
        json(res, 200, { accessToken: 'token-after-wait', expiresIn: 900 });
      });
    });
    await new MedrecClient(baseUrl, PASSWORD, { retryBaseMs: 5000, sleep: async (ms) => void pauses.push(ms) }).signIn();
    expect(pauses).toEqual([1000]);
  });

  it('reports refusals with the status, the detail and the reason, without retrying', async () => {
    const client = new MedrecClient(baseUrl, PASSWORD, { retryBaseMs: 1 });
    uploads.push(
      status(422, { detail: 'The PDF is encrypted', reason: 'encrypted' }),
      status(400, { detail: 'The request is invalid', errors: [{ field: 'title', message: 'is required' }] }),
      status(409, { detail: 'This patient already has a record with identical content', existingRecordId: 'r-old' }),
      status(409, { detail: 'Some other conflict' }),
    );

    expect(await client.createRecord(file, 'scan.png', FIELDS)).toEqual({ kind: 'refused', status: 422, detail: 'The PDF is encrypted', reason: 'encrypted' });
    expect(await client.createRecord(file, 'scan.png', FIELDS)).toEqual({ kind: 'refused', status: 400, detail: 'The request is invalid: title: is required' });
    expect(await client.createRecord(file, 'scan.png', FIELDS)).toEqual({ kind: 'duplicate', recordId: 'r-old' });
    expect(await client.createRecord(file, 'scan.png', FIELDS)).toEqual({ kind: 'refused', status: 409, detail: 'Some other conflict' });
    expect(requests.filter((r) => r.url === '/api/records')).toHaveLength(4);
  });

  it('signs in again before the token expires, and once more when a token is refused', async () => {
    const client = new MedrecClient(baseUrl, PASSWORD, { retryBaseMs: 1 });
    await client.signIn();
    uploads.push(status(401, { detail: 'expired' }), created('r-3'));

    await expect(client.createRecord(file, 'scan.png', FIELDS)).resolves.toMatchObject({ kind: 'created', recordId: 'r-3' });
    expect(requests.filter((r) => r.url === '/api/records').map((r) => r.authorization)).toEqual(['Bearer token-1', 'Bearer token-2']);

    // A token whose lifetime is nearly over is renewed before use.
    server.removeAllListeners('request');
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      req.resume();
      req.on('end', () => {
        if (req.url === '/api/auth/token') return json(res, 200, { accessToken: `short-${++logins}`, expiresIn: 0.001 });
        requests.push({ method: req.method!, url: req.url!, authorization: req.headers.authorization, body: Buffer.alloc(0) });
        created()(req, Buffer.alloc(0), res);
      });
    });
    const shortLived = new MedrecClient(baseUrl, PASSWORD, { retryBaseMs: 1 });
    await shortLived.createRecord(file, 'scan.png', FIELDS);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await shortLived.createRecord(file, 'scan.png', FIELDS);
    expect(requests.slice(-2).map((r) => r.authorization)).toEqual([`Bearer short-${logins - 1}`, `Bearer short-${logins}`]);
  });

  it('stops the batch on refused credentials, a missing role or a wrong server', async () => {
    await expect(new MedrecClient(baseUrl, { ...PASSWORD, password: 'wrong' }).signIn()).rejects.toThrow(
      new CliError('The server refused the username or password (401)'),
    );

    const withToken = new MedrecClient(baseUrl, { kind: 'token', token: 'stale' }, { retryBaseMs: 1 });
    uploads.push(status(401));
    await expect(withToken.createRecord(file, 'scan.png', FIELDS)).rejects.toThrow('The server refused the token (MEDREC_TOKEN) (401)');
    expect(requests.at(-1)!.authorization).toBe('Bearer stale');

    uploads.push(status(403));
    await expect(withToken.createRecord(file, 'scan.png', FIELDS)).rejects.toThrow(/needs the clerk or him role/);
    uploads.push(status(404));
    await expect(withToken.createRecord(file, 'scan.png', FIELDS)).rejects.toThrow(/has no \/api\/records \(404\): check --server/);
  });

  it('counts a server that cannot be reached as a failure after the retries', async () => {
    const closed = new MedrecClient(baseUrl, { kind: 'token', token: 't' }, { retryBaseMs: 1 });
    await new Promise((resolve) => server.close(resolve));
    server = createServer(); // for afterEach
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

    await expect(closed.createRecord(file, 'scan.png', FIELDS)).resolves.toEqual({ kind: 'failed', error: 'fetch failed (ECONNREFUSED)', attempts: 4 });
    await expect(new MedrecClient(baseUrl, PASSWORD, { retryBaseMs: 1 }).signIn()).rejects.toThrow(
      `Could not sign in to ${baseUrl}: fetch failed (ECONNREFUSED)`,
    );
  });

  it('abandons a call when its signal is aborted, in the pause between attempts or while waiting for an answer', async () => {
    const stop = new AbortController();
    uploads.push((_req, _body, res) => {
      setTimeout(() => stop.abort(), 20);
      status(503)(_req, _body, res);
    });
    const client = new MedrecClient(baseUrl, PASSWORD, { retryBaseMs: 60_000, signal: stop.signal });
    const started = Date.now();
    await expect(client.createStack(file, 'scan.pdf', 'ab'.repeat(32))).rejects.toThrow(RequestAborted);
    expect(Date.now() - started).toBeLessThan(5000);

    const hang = new AbortController();
    uploads.push(() => setTimeout(() => hang.abort(), 20)); // never answers
    await expect(new MedrecClient(baseUrl, PASSWORD, { signal: hang.signal }).createRecord(file, 'scan.png', FIELDS)).rejects.toThrow(RequestAborted);
    expect(requests.filter((r) => r.url === '/api/stacks').length).toBe(1);
  });
});
