import { pdfWithOpenAction, pngWithHtml } from './support/active-content';
import { Client, purpose, recordForm, startApp, TestApp, usersByRole } from './support/harness';

/**
 * Every answer says nosniff, may not be framed and sends no referrer; API answers allow nothing to
 * load; stored documents are attachments under a sandbox policy; /docs allows Swagger UI its own assets.
 */

type Users = Awaited<ReturnType<typeof usersByRole>>;
let t: TestApp;
let u: Users;

beforeAll(async () => {
  t = await startApp();
  u = await usersByRole(t.baseUrl);
});
afterAll(() => t?.close());

function expectCommonHeaders(headers: Headers): void {
  expect(headers.get('x-content-type-options')).toBe('nosniff');
  expect(headers.get('x-frame-options')).toBe('DENY');
  expect(headers.get('referrer-policy')).toBe('no-referrer');
  expect(headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  // Plain HTTP by default: HSTS belongs to the TLS terminator (README).
  expect(headers.get('strict-transport-security')).toBeNull();
}

const API_POLICY = /^default-src 'none';frame-ancestors 'none';/;

describe('API answers', () => {
  it.each([
    ['health', (c: Client) => c.get('/health/live'), 200],
    ['an unknown route', (c: Client) => c.get('/api/nothing-here'), 404],
    [
      'a refused JSON body (before authentication)',
      (c: Client) => c.request('POST', '/api/auth/token', { body: '['.repeat(40), headers: { 'content-type': 'application/json' } }),
      400,
    ],
    ['the OpenAPI document', (c: Client) => c.get('/docs-json'), 200],
  ])('%s: nosniff, no framing, no referrer, nothing may load', async (_, send, status) => {
    const res = await send(new Client(t.baseUrl));
    expect(res.status).toBe(status);
    expectCommonHeaders(res.headers);
    expect(res.headers.get('content-security-policy')).toMatch(API_POLICY);
  });

  it('a record: the same, and still not cached', async () => {
    const created = await u.clerk.request('POST', '/api/records', { form: recordForm() });
    const res = await u.clinician.get(`/api/records/${created.body.id}`, purpose('treatment'));
    expect(res.status).toBe(200);
    expectCommonHeaders(res.headers);
    expect(res.headers.get('content-security-policy')).toMatch(API_POLICY);
    expect(res.headers.get('cache-control')).toBe('no-store');
  });
});

describe('stored content', () => {
  it.each([
    ['a PNG with HTML appended', pngWithHtml(), 'image/png', 'png'],
    ['a PDF with /OpenAction JavaScript', pdfWithOpenAction(), 'application/pdf', 'pdf'],
  ])('%s is served as a sandboxed attachment named by record and version', async (_, bytes, contentType, extension) => {
    const created = await u.clerk.request('POST', '/api/records', { form: recordForm({ mrn: 'QX-55021' }, bytes, 'quenby-orchard.html') });
    expect(created.status).toBe(201);
    const id = created.body.id;
    const res = await u.clinician.get(`/api/records/${id}/versions/1/content`, purpose('treatment'));
    expect(res.status).toBe(200);
    expect(res.raw.equals(bytes)).toBe(true);
    expect(res.contentType).toBe(contentType);
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="record-${id}-v1.${extension}"`);
    expect(res.headers.get('content-security-policy')).toMatch(/^sandbox; default-src 'none'/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expectCommonHeaders(res.headers);
  });
});

describe('/docs', () => {
  it('lets Swagger UI load: its scripts are same-origin files served as JavaScript, its styles inline', async () => {
    const page = await new Client(t.baseUrl).get('/docs');
    expect(page.status).toBe(200);
    expect(page.contentType).toMatch(/^text\/html/);
    expectCommonHeaders(page.headers);
    const policy = page.headers.get('content-security-policy')!;
    expect(policy).toContain("script-src 'self'");
    expect(policy).toContain("style-src 'self' 'unsafe-inline'");
    expect(policy).not.toMatch(/script-src[^;]*unsafe-inline/);
    const html = page.raw.toString('utf8');
    // script-src 'self' runs no inline script: every script of the page must be a file of this origin.
    const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes, inline] of scripts) {
      expect(inline.trim()).toBe('');
      const src = /src="([^"]+)"/.exec(attributes)![1];
      expect(src).not.toMatch(/^[a-z]+:|^\/\//i);
      const script = await new Client(t.baseUrl).get(new URL(src, `${t.baseUrl}/docs`).pathname);
      expect({ src, status: script.status }).toEqual({ src, status: 200 });
      // nosniff: a script not served as JavaScript would not run.
      expect(script.contentType).toMatch(/javascript/);
    }
  });
});

describe('the web app at /', () => {
  it('serves its page with a strict policy (own scripts and styles only), hashed assets cached for a year, and the page itself never cached', async () => {
    const page = await new Client(t.baseUrl).get('/');
    expect(page.status).toBe(200);
    expect(page.contentType).toMatch(/^text\/html/);
    expect(page.headers.get('cache-control')).toBe('no-cache');
    expectCommonHeaders(page.headers);
    const policy = page.headers.get('content-security-policy')!;
    expect(policy).toContain("script-src 'self'");
    expect(policy).toContain("style-src 'self'");
    expect(policy).not.toContain('unsafe-inline');
    expect(policy).not.toContain('unsafe-eval');
    const html = page.raw.toString('utf8');
    const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]);
    expect(assets.some((a) => a.endsWith('.js'))).toBe(true);
    expect([...html.matchAll(/<script[^>]*>([\s\S]*?)<\/script>/g)].every(([, inline]) => inline.trim() === '')).toBe(true);
    for (const asset of assets) {
      const res = await new Client(t.baseUrl).get(asset);
      expect({ asset, status: res.status }).toEqual({ asset, status: 200 });
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    }
  });

  it('answers a screen path (a shared or reloaded URL) with the app, an unknown asset with 404, and leaves /api alone', async () => {
    const client = new Client(t.baseUrl);
    const screen = await client.get('/search?q=discharge');
    expect(screen.status).toBe(200);
    expect(screen.contentType).toMatch(/^text\/html/);
    expect((await client.get('/assets/no-such-file.js')).status).toBe(404);
    const api = await client.get('/api/nothing-here');
    expect(api.status).toBe(404);
    expect(api.contentType).toMatch(/problem\+json/);
  });
});
