import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { recordForm, startApp, TestApp, usersByRole } from './support/harness';

describe('optimistic concurrency', () => {
  let t: TestApp;
  let u: Awaited<ReturnType<typeof usersByRole>>;

  beforeAll(async () => {
    t = await startApp();
    u = await usersByRole(t.baseUrl);
  });
  afterAll(() => t.close());

  it('20 concurrent amendments with the same If-Match: exactly one 201, the rest 409', async () => {
    const created = await u.clerk.request('POST', '/api/records', { form: recordForm() });
    const id = created.body.id;
    const before = await u.him.get(`/api/records/${id}`, { 'x-purpose-of-use': 'operations' });
    const tag = before.headers.get('etag')!;

    const attempts = Array.from({ length: 20 }, (_, i) => {
      const form = new FormData();
      form.append('kind', 'correction');
      form.append('reason', `Correction attempt ${i}`);
      form.append('file', new Blob([Buffer.concat([recordPng(), Buffer.from(`attempt-${i}`)])]), 'scan.png');
      return u.him.request('POST', `/api/records/${id}/amendments`, { form, headers: { 'if-match': tag } });
    });
    const results = await Promise.all(attempts);
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
    for (const r of results.filter((x) => x.status === 409)) expect(r.contentType).toContain('application/problem+json');

    const after = await u.him.get(`/api/records/${id}`, { 'x-purpose-of-use': 'operations' });
    expect(after.body.versions).toHaveLength(2);
    const winner = results.find((r) => r.status === 201)!;
    expect(after.headers.get('etag')).toBe(`"${winner.body.revision}"`);
    // The winner's content is the one stored for version 2; the losers' uploads left nothing behind.
    const v2 = await u.him.get(`/api/records/${id}/versions/2/content`, { 'x-purpose-of-use': 'operations' });
    expect(v2.status).toBe(200);
    expect(v2.raw.toString('latin1')).toMatch(/attempt-\d+$/);
    const stored = readdirSync(join(t.dataDir, 'blobs', 'records', id, 'content'));
    expect(stored).toHaveLength(2);
  });

  it('a stale If-Match is refused with 409 and the current revision', async () => {
    const created = await u.clerk.request('POST', '/api/records', { form: recordForm() });
    const form = () => {
      const f = new FormData();
      f.append('kind', 'addendum');
      f.append('reason', 'Addendum');
      return f;
    };
    expect((await u.him.request('POST', `/api/records/${created.body.id}/amendments`, { form: form(), headers: { 'if-match': '"0"' } })).status).toBe(201);
    const stale = await u.him.request('POST', `/api/records/${created.body.id}/amendments`, { form: form(), headers: { 'if-match': '"0"' } });
    expect(stale.status).toBe(409);
    expect(stale.body.currentRevision).toBe(1);
  });

  it('many concurrent audited reads of one record all succeed and are all logged, in one intact chain', async () => {
    const created = await u.clerk.request('POST', '/api/records', { form: recordForm() });
    const id = created.body.id;
    const reads = await Promise.all(Array.from({ length: 60 }, () => u.clinician.get(`/api/records/${id}`, { 'x-purpose-of-use': 'treatment' })));
    expect(reads.every((r) => r.status === 200)).toBe(true);
    const events = await u.auditor.get(`/api/records/${id}/events`, { 'x-purpose-of-use': 'audit' });
    const accesses = events.body.events.filter((e: any) => e.type === 'RecordAccessed' && e.actor === 'clinician1');
    expect(accesses).toHaveLength(60);
    expect(events.body.chain).toEqual({ valid: true });
  });
});

/** A 16 x 16 PNG (the smallest side a page may have). */
function recordPng(): Buffer {
  return Buffer.from('iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAAAAAA6mKC9AAAAGElEQVR4nGNgaEAF6HzaCTBg5dDfHSgSAOhufgEUIq2bAAAAAElFTkSuQmCC', 'base64');
}
