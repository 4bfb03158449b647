import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteEventStore } from '@medrec/event-store';
import { SqliteKeyStore, loadMasterKey } from '@medrec/crypto';
import Database from '@medrec/sqlite';
import { approveAndDestroy, Client, recordForm, purpose, startApp, TestApp, TINY_PNG, usersByRole } from './support/harness';

/** A record through every step of its life over HTTP, each step an attributed, chained event. */
describe('record lifecycle over HTTP (embedded defaults)', () => {
  let t: TestApp;
  let u: Awaited<ReturnType<typeof usersByRole>>;
  let id: string;

  beforeAll(async () => {
    t = await startApp();
    u = await usersByRole(t.baseUrl);
  });
  afterAll(() => t.close());

  const png2 = Buffer.concat([TINY_PNG, Buffer.from('version-two')]);

  it('creates a record from an upload (clerk)', async () => {
    const res = await u.clerk.request('POST', '/api/records', { form: recordForm() });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ version: 1, revision: 0 });
    expect(res.body.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(res.body.position).toBeGreaterThan(0);
    expect(res.headers.get('etag')).toBe('"0"');
    id = res.body.id;
  });

  it('reads it with a purpose of use, and the read is audited', async () => {
    const res = await u.clinician.get(`/api/records/${id}`, purpose('treatment'));
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBe('"0"');
    expect(res.body).toMatchObject({
      id,
      mrn: '00482913',
      patientName: 'Jane Example',
      dateOfBirth: '1961-04-12',
      documentType: 'discharge-summary',
      status: 'active',
      currentVersion: 1,
      holds: [],
      revision: 0,
    });
    expect(res.body.versions[0]).toMatchObject({ version: 1, kind: 'original', createdBy: 'clerk1', contentType: 'image/png', ocr: { status: 'pending' } });
    expect((await u.clinician.get(`/api/records/${id}`)).status).toBe(400);
  });

  it('returns the original bytes with their content type', async () => {
    const res = await u.clinician.get(`/api/records/${id}/versions/1/content`, purpose('treatment'));
    expect(res.status).toBe(200);
    expect(res.contentType).toBe('image/png');
    expect(res.raw.equals(TINY_PNG)).toBe(true);
    expect((await u.clinician.get(`/api/records/${id}/versions/9/content`, purpose('treatment'))).status).toBe(404);
  });

  it('amends with a new file (new version) and without one; old versions unchanged', async () => {
    const form = new FormData();
    form.append('kind', 'correction');
    form.append('reason', 'Rescanned: page was cut off');
    form.append('file', new Blob([png2]), 'rescan.png');
    const v2 = await u.him.request('POST', `/api/records/${id}/amendments`, { form, headers: { 'if-match': '"0"' } });
    expect(v2.status).toBe(201);
    expect(v2.body).toMatchObject({ version: 2, revision: 1 });

    const noReason = new FormData();
    noReason.append('kind', 'addendum');
    expect((await u.him.request('POST', `/api/records/${id}/amendments`, { form: noReason })).status).toBe(400);

    const meta = new FormData();
    meta.append('kind', 'addendum');
    meta.append('reason', 'Title corrected');
    meta.append('title', 'Discharge summary (corrected)');
    const v3 = await u.him.request('POST', `/api/records/${id}/amendments`, { form: meta });
    expect(v3.body).toMatchObject({ version: 3, revision: 2 });

    const one = await u.him.get(`/api/records/${id}/versions/1/content`, purpose('operations'));
    expect(one.raw.equals(TINY_PNG)).toBe(true);
    const two = await u.him.get(`/api/records/${id}/versions/2/content`, purpose('operations'));
    expect(two.raw.equals(png2)).toBe(true);
    const rec = await u.him.get(`/api/records/${id}`, purpose('operations'));
    expect(rec.body.title).toBe('Discharge summary (corrected)');
    expect(rec.body.versions.map((v: any) => [v.version, v.kind])).toEqual([
      [1, 'original'],
      [2, 'correction'],
      [3, 'addendum'],
    ]);
    expect(rec.body.versions[2].sha256).toBe(rec.body.versions[1].sha256);
  });

  let holdId: string;
  it('releases, holds, refuses destruction under hold, lifts, archives', async () => {
    const rel = await u.him.post(`/api/records/${id}/releases`, {
      recipient: { name: 'Dr. Alan Grant', address: '1 Main St, Springfield' },
      purpose: 'continuing care',
      authorizationReference: 'AUTH-2024-0113',
      versions: [1, 2],
      description: 'Discharge summary, original and corrected scan',
    });
    expect(rel.status).toBe(201);
    expect(rel.body.releaseId).toMatch(/^[0-9a-f-]{36}$/);

    const hold = await u.legal.post(`/api/records/${id}/holds`, { matter: 'Smith v. General Hospital', reason: 'Litigation notice received' });
    expect(hold.status).toBe(201);
    holdId = hold.body.holdId;
    const held = await u.legal.get(`/api/records/${id}`, purpose('legal'));
    expect(held.body.holds).toEqual([{ holdId, matter: 'Smith v. General Hospital' }]);

    const refused = await u.archivist.post(`/api/records/${id}/destroy`, { authority: 'Schedule GS-12', approvedBy: 'archivist2' });
    expect(refused.status).toBe(409);
    expect(refused.contentType).toContain('application/problem+json');
    expect(refused.body.detail).toContain('legal hold');

    expect((await u.legal.request('DELETE', `/api/records/${id}/holds/${holdId}`)).status).toBe(204);
    const archived = await u.archivist.post(`/api/records/${id}/archive`, { reason: 'Patient discharged; inactive' });
    expect(archived.status).toBe(200);

    const form = new FormData();
    form.append('kind', 'addendum');
    form.append('reason', 'Late note');
    expect((await u.him.request('POST', `/api/records/${id}/amendments`, { form })).status).toBe(409);
    const still = await u.clinician.get(`/api/records/${id}`, purpose('treatment'));
    expect(still.status).toBe(200);
    expect(still.body.status).toBe('archived');
  });

  it('lists every event with actor, role, purpose and time, and an intact chain', async () => {
    const res = await u.legal.get(`/api/records/${id}/events`, purpose('legal'));
    expect(res.status).toBe(200);
    expect(res.body.chain).toEqual({ valid: true });
    const types = res.body.events.map((e: any) => e.type);
    for (const type of ['RecordCreated', 'RecordAmended', 'RecordAccessed', 'RecordReleased', 'LegalHoldPlaced', 'LegalHoldLifted', 'RecordArchived']) {
      expect(types).toContain(type);
    }
    const positions = res.body.events.map((e: any) => e.position);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    for (const e of res.body.events) {
      expect(e.actor).toEqual(expect.any(String));
      expect(e.role).toEqual(expect.any(String));
      expect(Date.parse(e.occurredAt)).not.toBeNaN();
    }
    const created = res.body.events.find((e: any) => e.type === 'RecordCreated');
    expect(created).toMatchObject({ actor: 'clerk1', role: 'clerk', data: { patientName: 'Jane Example', mrn: '00482913' } });
    const accessed = res.body.events.find((e: any) => e.type === 'RecordAccessed');
    expect(accessed).toMatchObject({
      stream: `record-access-${id}`,
      purpose: 'treatment',
      data: { purpose: 'treatment', actor: 'clinician1', role: 'clinician' },
    });
    const hold = res.body.events.find((e: any) => e.type === 'LegalHoldPlaced');
    expect(hold).toMatchObject({ actor: 'legal1', role: 'legal', data: { matter: 'Smith v. General Hospital' } });
  });

  it('detects tampering with the stored history', async () => {
    const db = new Database(join(t.dataDir, 'events.db'));
    const row = db.prepare(`SELECT position, data FROM events WHERE stream = ? AND type = 'RecordReleased'`).get(`record-${id}`) as {
      position: number;
      data: string;
    };
    const data = JSON.parse(row.data);
    db.prepare('UPDATE events SET data = ? WHERE position = ?').run(JSON.stringify({ ...data, versions: [1] }), row.position);
    try {
      const res = await u.auditor.get(`/api/records/${id}/events`, purpose('audit'));
      expect(res.body.chain).toMatchObject({ valid: false, brokenAt: { stream: `record-${id}`, position: row.position, reason: 'hash-mismatch' } });
    } finally {
      db.prepare('UPDATE events SET data = ? WHERE position = ?').run(row.data, row.position);
      db.close();
    }
    expect((await u.auditor.get(`/api/records/${id}/events`, purpose('audit'))).body.chain).toEqual({ valid: true });
  });

  it('serves its OpenAPI document', async () => {
    const res = await new Client(t.baseUrl).get('/docs-json');
    expect(res.status).toBe(200);
    expect(Object.keys(res.body.paths)).toEqual(expect.arrayContaining(['/api/records', '/api/records/{id}', '/api/records/{id}/events', '/api/auth/token']));
  });

  it('destroys once approved by another: tombstone stays, content is gone, the key is gone, PHI can no longer be decrypted', async () => {
    const unapproved = await u.archivist.post(`/api/records/${id}/destroy`, { authority: 'Schedule GS-12', approvedBy: 'archivist2' });
    expect(unapproved.status).toBe(409);
    expect((await u.archivist.post(`/api/records/${id}/destruction-approvals`, { authority: 'Schedule GS-12' })).status).toBe(201);
    const self = await u.archivist.post(`/api/records/${id}/destroy`, { authority: 'Schedule GS-12', approvedBy: 'archivist1' });
    expect(self.status).toBe(409);
    const res = await approveAndDestroy(u, id);
    expect(res.status).toBe(200);

    const gone = await u.clinician.get(`/api/records/${id}`, purpose('treatment'));
    expect(gone.status).toBe(410);
    expect(gone.body).toMatchObject({ id, status: 410, recordStatus: 'destroyed', authority: 'Schedule GS-12' });
    expect(Date.parse(gone.body.destroyedAt)).not.toBeNaN();
    expect((await u.clinician.get(`/api/records/${id}/versions/1/content`, purpose('treatment'))).status).toBe(410);
    expect((await u.clinician.get(`/api/records/${id}/versions/1/text`, purpose('treatment'))).status).toBe(410);
    const amend = new FormData();
    amend.append('kind', 'addendum');
    amend.append('reason', 'x');
    expect((await u.him.request('POST', `/api/records/${id}/amendments`, { form: amend })).status).toBe(410);
    expect((await u.legal.post(`/api/records/${id}/holds`, { matter: 'm', reason: 'r' })).status).toBe(410);

    // The stored content is gone.
    expect(
      existsSync(join(t.dataDir, 'blobs', 'records', id))
        ? readdirSync(join(t.dataDir, 'blobs', 'records', id), { recursive: true }).filter((f) => !String(f).endsWith('/')).length
        : 0,
    ).toBe(0);

    // The key is gone.
    const keys = new SqliteKeyStore({
      file: join(t.dataDir, 'keys.db'),
      masterKey: loadMasterKey({ env: {}, dataDir: t.dataDir, embedded: true, warn: () => undefined }),
    });
    expect(await keys.get(id)).toBeNull();
    expect(await keys.isDestroyed(id)).toBe(true);
    await keys.close();

    // The events remain, their PHI sealed and unreadable; the tombstone is in clear.
    const events = await u.legal.get(`/api/records/${id}/events`, purpose('legal'));
    expect(events.status).toBe(200);
    const created = events.body.events.find((e: any) => e.type === 'RecordCreated');
    expect(created.phiReadable).toBe(false);
    expect(created.data.patientName).toBeUndefined();
    expect(JSON.stringify(events.body)).not.toContain('Jane Example');
    const destroyed = events.body.events.find((e: any) => e.type === 'RecordDestroyed');
    expect(destroyed).toMatchObject({ actor: 'archivist1', role: 'archivist', data: { authority: 'Schedule GS-12', approvedBy: 'archivist2' } });
    const approvals = events.body.events.filter((e: any) => e.type === 'DestructionApproved');
    expect(approvals.map((e: any) => [e.actor, e.data.approvedBy, e.data.authority])).toEqual([
      ['archivist1', 'archivist1', 'Schedule GS-12'],
      ['archivist2', 'archivist2', 'Schedule GS-12'],
    ]);
    expect(events.body.chain).toEqual({ valid: true });

    const store = new SqliteEventStore({ filename: join(t.dataDir, 'events.db') });
    const raw = await store.readStream(`record-${id}`);
    await store.close();
    const rawText = JSON.stringify(raw);
    expect(rawText).not.toContain('Jane Example');
    expect(rawText).not.toContain('00482913');
    expect(raw[0].data.phi).toEqual(expect.stringMatching(/^v1\./));
  });
});
