import { createWriteStream, openAsBlob } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { CliError } from '../../cli-error';
import type { RecordFields } from './manifest-entries';

/** How the CLI proves who it is: an account it signs in with (and again before the token expires), or a token as given. */
export type Credentials = { kind: 'password'; username: string; password: string } | { kind: 'token'; token: string };

/** The server will not take this file as it is (400, 413, 415, 422...): retrying cannot help. */
export type Refused = { kind: 'refused'; status: number; detail: string; reason?: string };
/** No answer, or a server error, even after the retries. */
export type Failed = { kind: 'failed'; error: string; attempts: number };

export type UploadOutcome =
  | { kind: 'created'; recordId: string; sha256: string; pages: number; contentType: string; duplicateOf?: string }
  /** The patient already has a record with this content (409): nothing new was stored. */
  | { kind: 'duplicate'; recordId: string }
  | Refused
  | Failed;

export type StackOutcome =
  /** 202: a new stack; 200 (`existing`): the stack an earlier request with the same key made. */
  { kind: 'accepted'; stackId: string; existing: boolean } | Refused | Failed;

/** Thrown when the client's signal is aborted: the request under way was abandoned, its outcome unknown. */
export class RequestAborted extends Error {
  constructor() {
    super('abandoned: the client was stopped');
    this.name = 'RequestAborted';
  }
}

export interface ClientOptions {
  /** Further attempts after a network error or a 5xx/408/429. */
  retries?: number;
  /** First pause between attempts; it doubles each time, plus up to as much again at random. */
  retryBaseMs?: number;
  /** Per request, upload included. */
  timeoutMs?: number;
  /** How the client waits between attempts (tests pass one that records the pauses). */
  sleep?: (ms: number) => Promise<void>;
  /** Stops the request under way and the pauses between attempts: the call throws RequestAborted. */
  signal?: AbortSignal;
}

/** An answer of the JSON API as MedrecClient.call gives it. */
export interface ApiResponse {
  status: number;
  /** Parsed JSON (problem details included), or the raw bytes of another content type. */
  body: unknown;
  contentType: string;
}

export interface Problem {
  detail?: string;
  title?: string;
  reason?: string;
  existingRecordId?: string;
  errors?: { field: string; message: string }[];
}

type Attempt = { kind: 'response'; status: number; body: unknown; retryAfterMs?: number } | { kind: 'network'; error: string };

const RETRYABLE = new Set([408, 429, 500, 502, 503, 504]);

/** The longest Retry-After honoured: a server asking for more is retried after this. */
export const MAX_RETRY_AFTER_MS = 60_000;

/** The part of the medrec HTTP API the batch ingest uses (API.md: auth, POST /api/records). */
export class MedrecClient {
  private readonly retries: number;
  private readonly retryBaseMs: number;
  private readonly timeoutMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly signal: AbortSignal | undefined;
  private token: { value: string; refreshAt: number } | undefined;
  private signingIn: Promise<string> | undefined;

  constructor(
    readonly server: string,
    private readonly credentials: Credentials,
    options: ClientOptions = {},
  ) {
    this.retries = options.retries ?? 3;
    this.retryBaseMs = options.retryBaseMs ?? 1000;
    this.timeoutMs = options.timeoutMs ?? 10 * 60_000;
    this.signal = options.signal;
    this.sleep = options.sleep ?? ((ms) => sleep(ms, undefined, this.signal ? { signal: this.signal } : {}));
  }

  /** Signs in now (with a password), so that wrong credentials stop the batch before any file is read. */
  async signIn(): Promise<void> {
    await this.accessToken();
  }

  /** Creates one record; the file is streamed from disk, never read whole into memory. */
  async createRecord(path: string, filename: string, fields: RecordFields): Promise<UploadOutcome> {
    return this.postFile(
      '/api/records',
      'create records',
      () => recordForm(path, filename, fields),
      {},
      (status, body) => {
        if (status === 201) return created(body);
        const problem = (body ?? {}) as Problem;
        if (status === 409 && typeof problem.existingRecordId === 'string') return { kind: 'duplicate', recordId: problem.existingRecordId };
        return undefined;
      },
    );
  }

  /**
   * Sends a scanner's stack (POST /api/stacks), keyed by the SHA-256 of its bytes: a repeat of the
   * same key is answered with the stack the first one made, so a resend after a crash or a lost
   * answer never makes a second stack.
   */
  async createStack(path: string, filename: string, sha256: string): Promise<StackOutcome> {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error('createStack needs the hex SHA-256 of the file');
    const form = () => fileForm(path, filename);
    return this.postFile('/api/stacks', 'send stacks', form, { 'idempotency-key': sha256 }, (status, body) => {
      if (status !== 202 && status !== 200) return undefined;
      const stackId = (body as { stackId?: unknown } | undefined)?.stackId;
      if (typeof stackId !== 'string' || stackId === '') return { kind: 'failed', error: `${status} without a stack id`, attempts: 1 };
      return { kind: 'accepted', stackId, existing: status === 200 };
    });
  }

  /**
   * POSTs a multipart form with a file: retries network errors, 5xx, 408 and 429 (the requests it
   * is used for are idempotent: the server refuses a repeated record as a duplicate, and answers a
   * repeated stack key with the first stack). `accept` turns the statuses it knows into an outcome;
   * other 4xx are refusals, with the problem's detail and reason.
   */
  private async postFile<T extends { kind: string }>(
    path: string,
    action: string,
    form: () => Promise<FormData>,
    headers: Record<string, string>,
    accept: (status: number, body: unknown) => T | undefined,
  ): Promise<T | Refused | Failed> {
    let attempts = 0;
    let signedInAgain = false;
    let lastError = '';
    let retryAfterMs: number | undefined;
    while (attempts <= this.retries) {
      if (attempts > 0) await this.pause(retryAfterMs ?? this.backoff(attempts));
      retryAfterMs = undefined;
      attempts++;
      const token = await this.accessToken();
      const attempt = await this.send('POST', path, token, await form(), headers);
      if (attempt.kind === 'network') {
        lastError = attempt.error;
        continue;
      }
      const { status } = attempt;
      const problem = (attempt.body ?? {}) as Problem;
      const outcome = accept(status, attempt.body);
      if (outcome) return outcome;
      if (status === 401 && this.credentials.kind === 'password' && !signedInAgain) {
        // The token expired early (server restarted with a new secret, clock skew): one fresh sign-in, not counted as a retry.
        signedInAgain = true;
        this.token = undefined;
        attempts--;
        continue;
      }
      if (status === 401) throw new CliError(`The server refused the ${this.credentials.kind === 'token' ? 'token (MEDREC_TOKEN)' : 'credentials'} (401)`);
      if (status === 403) throw new CliError(`The account may not ${action} (403): it needs the clerk or him role`);
      if (status === 404)
        throw new CliError(
          `${this.server} has no ${path} (404): check --server${path === '/api/stacks' ? ', or send single uploads (--no-split --manifest)' : ''}`,
        );
      if (RETRYABLE.has(status)) {
        lastError = `${status} ${describeProblem(problem) || 'server error'}`;
        // The server's Retry-After (429, 503), when it gives one, replaces the client's own backoff.
        retryAfterMs = attempt.retryAfterMs;
        continue;
      }
      return { kind: 'refused', status, detail: describeProblem(problem) || `HTTP ${status}`, ...(problem.reason ? { reason: problem.reason } : {}) };
    }
    return { kind: 'failed', error: lastError, attempts };
  }

  /**
   * One call of the JSON API (the archivists' commands): signs in as createRecord does, and retries
   * 429 and 503 (the server did not act; its Retry-After is honoured) always, network errors and the
   * other 5xx/408 only when `idempotent` (a GET, or a call the server makes idempotent). Answers
   * whatever status the server gave; the body parsed as JSON, or the bytes for another type.
   */
  async call(
    method: 'GET' | 'POST' | 'PUT',
    path: string,
    options: { json?: unknown; accept?: string; idempotent?: boolean; headers?: Record<string, string> } = {},
  ): Promise<ApiResponse> {
    const idempotent = options.idempotent ?? method === 'GET';
    let attempts = 0;
    let signedInAgain = false;
    let lastError = '';
    let retryAfterMs: number | undefined;
    while (attempts <= this.retries) {
      if (attempts > 0) await this.pause(retryAfterMs ?? this.backoff(attempts));
      retryAfterMs = undefined;
      attempts++;
      const token = await this.accessToken();
      const attempt = await this.sendRaw(method, path, token, options.json, options.accept, options.headers);
      if (attempt.kind === 'network') {
        lastError = attempt.error;
        if (idempotent) continue;
        throw new CliError(`No answer from ${this.server} (${lastError}): the ${method} may or may not have been carried out; check before repeating it`);
      }
      if (attempt.status === 401 && this.credentials.kind === 'password' && !signedInAgain) {
        signedInAgain = true;
        this.token = undefined;
        attempts--;
        continue;
      }
      if (attempt.status === 401)
        throw new CliError(`The server refused the ${this.credentials.kind === 'token' ? 'token (MEDREC_TOKEN)' : 'credentials'} (401)`);
      if (attempt.status === 429 || attempt.status === 503 || (idempotent && RETRYABLE.has(attempt.status))) {
        lastError = `${attempt.status} ${describeProblem(attempt.body ?? {}) || 'server error'}`;
        retryAfterMs = attempt.retryAfterMs;
        continue;
      }
      return { status: attempt.status, body: attempt.body, contentType: attempt.contentType };
    }
    throw new CliError(`${method} ${path.split('?')[0]} failed after ${attempts} attempts: ${lastError}`);
  }

  /**
   * A GET whose successful answer is streamed to `file` (written as `<file>.part`, owner-only, and
   * renamed once complete), never held in memory; any other answer is returned as call() returns it.
   */
  async download(path: string, file: string, options: { headers?: Record<string, string>; accept?: string } = {}): Promise<ApiResponse & { bytes?: number }> {
    const token = await this.accessToken();
    const headers: Record<string, string> = { ...options.headers, accept: options.accept ?? '*/*', authorization: `Bearer ${token}` };
    let response: globalThis.Response;
    try {
      response = await fetch(this.server + path, { headers, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      throw new CliError(`No answer from ${this.server} (${describeNetworkError(error, this.timeoutMs)})`);
    }
    const contentType = response.headers.get('content-type') ?? '';
    if (response.status !== 200 || !response.body) {
      const text = await response.text();
      return { status: response.status, body: /json/.test(contentType) ? parseJson(text) : Buffer.from(text), contentType };
    }
    const part = `${file}.part`;
    let bytes = 0;
    try {
      const counted = Readable.fromWeb(response.body).on('data', (chunk: Buffer) => (bytes += chunk.length));
      await pipeline(counted, createWriteStream(part, { mode: 0o600 }));
      await rename(part, file);
    } catch (error) {
      await rm(part, { force: true });
      throw new CliError(`The download from ${this.server} failed (${(error as Error).message}); nothing was written`);
    }
    return { status: 200, body: undefined, contentType, bytes };
  }

  private accessToken(): Promise<string> {
    if (this.credentials.kind === 'token') return Promise.resolve(this.credentials.token);
    if (this.token && Date.now() < this.token.refreshAt) return Promise.resolve(this.token.value);
    // Concurrent uploads share one sign-in.
    this.signingIn ??= this.requestToken(this.credentials).finally(() => (this.signingIn = undefined));
    return this.signingIn;
  }

  private async requestToken(credentials: { username: string; password: string }): Promise<string> {
    let lastError = '';
    let retryAfterMs: number | undefined;
    for (let attempts = 0; attempts <= this.retries; attempts++) {
      if (attempts > 0) await this.pause(retryAfterMs ?? this.backoff(attempts));
      retryAfterMs = undefined;
      const issuedAt = Date.now();
      const attempt = await this.send('POST', '/api/auth/token', undefined, JSON.stringify({ username: credentials.username, password: credentials.password }));
      if (attempt.kind === 'network') {
        lastError = attempt.error;
        continue;
      }
      const body = (attempt.body ?? {}) as { accessToken?: unknown; expiresIn?: unknown } & Problem;
      if (attempt.status === 200 && typeof body.accessToken === 'string') {
        const lifetimeMs = (typeof body.expiresIn === 'number' && body.expiresIn > 0 ? body.expiresIn : 300) * 1000;
        // Renewed well before expiry so that a long upload never starts with a token about to lapse.
        this.token = { value: body.accessToken, refreshAt: issuedAt + lifetimeMs - Math.min(120_000, lifetimeMs / 4) };
        return body.accessToken;
      }
      if (attempt.status === 401 || attempt.status === 400) throw new CliError(`The server refused the username or password (${attempt.status})`);
      if (attempt.status === 404) throw new CliError(`${this.server} has no /api/auth/token (404): check --server`);
      lastError = `${attempt.status} ${describeProblem(body) || 'server error'}`;
      if (!RETRYABLE.has(attempt.status)) break;
      retryAfterMs = attempt.retryAfterMs;
    }
    throw new CliError(`Could not sign in to ${this.server}: ${lastError}`);
  }

  private async send(
    method: string,
    path: string,
    token: string | undefined,
    body: FormData | string,
    extraHeaders: Record<string, string> = {},
  ): Promise<Attempt> {
    const headers: Record<string, string> = { ...extraHeaders, accept: 'application/json, application/problem+json' };
    if (token) headers.authorization = `Bearer ${token}`;
    if (typeof body === 'string') headers['content-type'] = 'application/json';
    try {
      const response = await fetch(this.server + path, { method, headers, body, signal: this.requestSignal() });
      const text = await response.text();
      return { kind: 'response', status: response.status, body: parseJson(text), retryAfterMs: retryAfter(response.headers.get('retry-after')) };
    } catch (error) {
      if (this.signal?.aborted) throw new RequestAborted();
      return { kind: 'network', error: describeNetworkError(error, this.timeoutMs) };
    }
  }

  private requestSignal(): AbortSignal {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    return this.signal ? AbortSignal.any([this.signal, timeout]) : timeout;
  }

  /** The pause between attempts; an aborted signal ends it (and the call) at once. */
  private async pause(ms: number): Promise<void> {
    if (this.signal?.aborted) throw new RequestAborted();
    try {
      await this.sleep(ms);
    } catch (error) {
      if (this.signal?.aborted) throw new RequestAborted();
      throw error;
    }
    if (this.signal?.aborted) throw new RequestAborted();
  }

  private async sendRaw(
    method: string,
    path: string,
    token: string,
    json: unknown,
    accept = 'application/json, application/problem+json',
    extraHeaders: Record<string, string> = {},
  ): Promise<{ kind: 'response'; status: number; body: unknown; contentType: string; retryAfterMs?: number } | { kind: 'network'; error: string }> {
    const headers: Record<string, string> = { ...extraHeaders, accept, authorization: `Bearer ${token}` };
    if (json !== undefined) headers['content-type'] = 'application/json';
    try {
      const response = await fetch(this.server + path, {
        method,
        headers,
        body: json === undefined ? undefined : JSON.stringify(json),
        signal: this.requestSignal(),
      });
      const contentType = response.headers.get('content-type') ?? '';
      const bytes = Buffer.from(await response.arrayBuffer());
      const body = /json/.test(contentType) ? parseJson(bytes.toString('utf8')) : bytes;
      return { kind: 'response', status: response.status, body, contentType, retryAfterMs: retryAfter(response.headers.get('retry-after')) };
    } catch (error) {
      if (this.signal?.aborted) throw new RequestAborted();
      return { kind: 'network', error: describeNetworkError(error, this.timeoutMs) };
    }
  }

  private backoff(retry: number): number {
    const base = this.retryBaseMs * 2 ** (retry - 1);
    return base + Math.random() * base;
  }
}

async function fileForm(path: string, filename: string): Promise<FormData> {
  const form = new FormData();
  form.append('file', await openAsBlob(path), filename);
  return form;
}

async function recordForm(path: string, filename: string, fields: RecordFields): Promise<FormData> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) if (value !== undefined) form.append(name, value);
  // Fields before the file: the server reads them while the file is still streaming in.
  form.append('file', await openAsBlob(path), filename);
  return form;
}

function created(body: unknown): UploadOutcome {
  const b = (body ?? {}) as { id?: unknown; sha256?: unknown; pages?: unknown; contentType?: unknown; duplicateOf?: unknown };
  if (typeof b.id !== 'string') return { kind: 'failed', error: '201 without a record id', attempts: 1 };
  return {
    kind: 'created',
    recordId: b.id,
    sha256: typeof b.sha256 === 'string' ? b.sha256 : '',
    pages: typeof b.pages === 'number' ? b.pages : 0,
    contentType: typeof b.contentType === 'string' ? b.contentType : '',
    ...(typeof b.duplicateOf === 'string' ? { duplicateOf: b.duplicateOf } : {}),
  };
}

/** The problem's detail, with the field errors of a 400; the API keeps PHI out of both. */
export function describeProblem(problem: Problem): string {
  const errors = Array.isArray(problem.errors) ? problem.errors.map((e) => `${e.field}: ${e.message}`).join('; ') : '';
  const detail = problem.detail ?? problem.title ?? '';
  return [detail, errors].filter((part) => part !== '').join(': ');
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Retry-After in seconds (the form the API sends), capped at MAX_RETRY_AFTER_MS. */
function retryAfter(header: string | null): number | undefined {
  if (header === null || !/^\d+$/.test(header.trim())) return undefined;
  return Math.min(Number(header.trim()) * 1000, MAX_RETRY_AFTER_MS);
}

function describeNetworkError(error: unknown, timeoutMs: number): string {
  const e = error as Error & { cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return `no answer within ${Math.round(timeoutMs / 1000)} s`;
  const cause = e?.cause?.code ?? e?.cause?.message;
  return cause ? `${e.message} (${cause})` : (e?.message ?? String(error));
}
