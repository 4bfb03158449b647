import Database from '@medrec/sqlite';
import { join } from 'node:path';
import { KEY_STORE, KeyStore } from '@medrec/crypto';
import { queryAuditStream } from '@medrec/domain';
import { headPosition } from './support/configured-app';
import { approveAndDestroy, login, PASSWORD, purpose, recordForm, Response, startApp, TestApp, usersByRole } from './support/harness';

/**
 * Break-the-glass over HTTP: an emergency read must say why (X-Emergency-Justification), is then
 * served, kept with its justification (sealed) in the access log, listed for the auditors until one
 * of them reviews it, and the review is attributed. Every refusal appends nothing.
 */

type Users = Awaited<ReturnType<typeof usersByRole>>;
let t: TestApp;
let u: Users;
let seq = 0;

beforeAll(async () => {
  t = await startApp();
  u = await usersByRole(t.baseUrl);
});
afterAll(() => t?.close());

const JUSTIFICATION = 'Unresponsive patient brought to the ED by ambulance; medication history needed';
const emergency = (justification?: string): Record<string, string> => ({
  ...purpose('emergency'),
  ...(justification !== undefined ? { 'x-emergency-justification': justification } : {}),
});

async function newRecord(): Promise<string> {
  const res = await u.clerk.request('POST', '/api/records', { form: recordForm({ mrn: `BTG-${++seq}` }) });
  if (res.status !== 201) throw new Error(`fixture record: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

function expectProblem(res: Response, status: number): void {
  expect(res.status).toBe(status);
  expect(res.contentType).toContain('application/problem+json');
  expect(res.body).toMatchObject({ type: expect.any(String), title: expect.any(String), status, detail: expect.any(String) });
}

/** Runs the call and checks that the event store's head did not move (nothing appended, no access logged). */
async function appendsNothing(call: () => Promise<Response>): Promise<Response> {
  const before = await headPosition(t.baseUrl);
  const res = await call();
  expect(await headPosition(t.baseUrl)).toBe(before);
  return res;
}

async function unreviewed(): Promise<Array<{ accessId: string; recordId: string; actor: string; at: string; justification: string | null }>> {
  const res = await u.auditor.get(`/api/audit/emergency-access?after=${await headPosition(t.baseUrl)}`);
  expect(res.status).toBe(200);
  expect(res.headers.get('cache-control')).toBe('no-store');
  return res.body.accesses;
}

/** A stream's events as stored (sealed fields under `phi`), read from the embedded store's file. */
function storedEvents(stream: string): Array<{ type: string; data: Record<string, unknown>; metadata: Record<string, unknown> }> {
  const db = new Database(join(t.dataDir, 'events.db'), { readonly: true });
  try {
    const rows = db.prepare('SELECT type, data, metadata FROM events WHERE stream = ? ORDER BY revision').all(stream) as Array<Record<string, string>>;
    return rows.map((r) => ({ type: r.type, data: JSON.parse(r.data), metadata: JSON.parse(r.metadata) }));
  } finally {
    db.close();
  }
}

async function accessesOf(id: string): Promise<any[]> {
  const res = await u.auditor.get(`/api/records/${id}/events`, purpose('audit'));
  expect(res.status).toBe(200);
  return res.body.events.filter((e: { type: string }) => e.type === 'RecordAccessed');
}

describe('an emergency read', () => {
  it.each([
    ['without X-Emergency-Justification', undefined],
    ['with an empty one', ''],
    ['with a blank one', '    '],
    ['with one of 1,001 characters', 'j'.repeat(1001)],
    ['with one of 10,000 characters', 'j'.repeat(10_000)],
  ])('%s is 400 problem+json naming the header, and appends nothing', async (_, justification) => {
    const id = await newRecord();
    for (const path of [`/api/records/${id}`, `/api/records/${id}/versions/1/content`, `/api/records/${id}/versions/1/text`]) {
      const res = await appendsNothing(() => u.clinician.get(path, emergency(justification)));
      expectProblem(res, 400);
      expect(res.body.errors).toEqual([{ field: 'X-Emergency-Justification', message: expect.stringContaining('1000 characters') }]);
      // No PHI in the answer, and never the justification.
      expect(JSON.stringify(res.body)).not.toMatch(/Jane|BTG-|jjjj/);
    }
    expect(await accessesOf(id)).toEqual([expect.objectContaining({ data: expect.objectContaining({ purpose: 'audit' }) })]);
  });

  it('is refused by role before the justification is looked at: a clerk declaring emergency gets 403', async () => {
    const id = await newRecord();
    expectProblem(await appendsNothing(() => u.clerk.get(`/api/records/${id}`, emergency())), 403);
    expectProblem(await appendsNothing(() => u.clerk.get(`/api/records/${id}`, emergency(JUSTIFICATION))), 403);
  });

  it('with a justification of exactly 1,000 characters is served', async () => {
    const id = await newRecord();
    expect((await u.clinician.get(`/api/records/${id}`, emergency('k'.repeat(1000)))).status).toBe(200);
  });

  it('is served, logged with its justification (sealed in the store), listed for review, and gone from the list once reviewed (attributed)', async () => {
    const id = await newRecord();
    const read = await u.clinician.get(`/api/records/${id}`, emergency(`  ${JUSTIFICATION}  `));
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id, mrn: expect.stringMatching(/^BTG-/) });

    // The access event: flagged with the justification (decrypted for the auditor), purpose emergency.
    const accessed = (await accessesOf(id)).find((e) => e.data.purpose === 'emergency');
    expect(accessed).toMatchObject({
      stream: `record-access-${id}`,
      actor: 'clinician1',
      role: 'clinician',
      purpose: 'emergency',
      data: { recordId: id, what: 'record', purpose: 'emergency', actor: 'clinician1', justification: JUSTIFICATION },
    });
    const accessId: string = accessed.data.accessId;

    const listed = (await unreviewed()).find((a) => a.accessId === accessId);
    expect(listed).toEqual(expect.objectContaining({ accessId, recordId: id, actor: 'clinician1', at: accessed.data.at, justification: JUSTIFICATION }));
    // Reads for other purposes are never listed.
    expect((await unreviewed()).filter((a) => a.recordId === id)).toHaveLength(1);

    const review = await u.auditor.post(`/api/audit/emergency-access/${accessId}/review`, { note: 'Confirmed against the ED admission log' });
    expect(review.status).toBe(200);
    expect(review.body).toMatchObject({ accessId, recordId: id, reviewedBy: 'auditor1', reviewedAt: expect.any(String), position: expect.any(Number) });

    expect((await unreviewed()).map((a) => a.accessId)).not.toContain(accessId);
    // Attributed in the log: EmergencyAccessReviewed on the record's review stream, by the auditor, the note sealed.
    const reviews = storedEvents(`emergency-access-review-${id}`);
    expect(reviews).toEqual([
      {
        type: 'EmergencyAccessReviewed',
        data: {
          recordId: id,
          accessId,
          reviewedBy: 'auditor1',
          reviewerRole: 'auditor',
          reviewedAt: review.body.reviewedAt,
          phi: expect.stringMatching(/^v1\./),
        },
        metadata: expect.objectContaining({ actor: 'auditor1', role: 'auditor', hash: expect.any(String) }),
      },
    ]);
    // Reviewed once: a second review is 409, and appends nothing.
    expectProblem(await appendsNothing(() => u.auditor.post(`/api/audit/emergency-access/${accessId}/review`, { note: 'again' })), 409);
  });

  it('keeps the justification out of the clear in the event store', async () => {
    const id = await newRecord();
    expect((await u.clinician.get(`/api/records/${id}/versions/1/text`, emergency('Sealed-justification-marker'))).status).toBe(200);
    const rows = storedEvents(`record-access-${id}`);
    expect(rows.find((e) => e.data.purpose === 'emergency')?.data).toMatchObject({ purpose: 'emergency', phi: expect.stringMatching(/^v1\./) });
    expect(JSON.stringify(rows)).not.toContain('Sealed-justification-marker');
  });
});

describe('the review', () => {
  async function emergencyAccess(): Promise<{ id: string; accessId: string }> {
    const id = await newRecord();
    expect((await u.clinician.get(`/api/records/${id}`, emergency(JUSTIFICATION))).status).toBe(200);
    const access = (await unreviewed()).find((a) => a.recordId === id)!;
    return { id, accessId: access.accessId };
  }

  it('is auditors only: every other role gets 403 on the list and the review, and appends nothing', async () => {
    const { accessId } = await emergencyAccess();
    for (const role of ['clerk', 'clinician', 'him', 'legal', 'archivist', 'admin'] as const) {
      expectProblem(await appendsNothing(() => u[role].get('/api/audit/emergency-access')), 403);
      expectProblem(await appendsNothing(() => u[role].post(`/api/audit/emergency-access/${accessId}/review`, { note: 'Looks fine' })), 403);
    }
    expect((await unreviewed()).map((a) => a.accessId)).toContain(accessId);
  });

  it('is refused (403) to the person who broke the glass, even when they are also an auditor', async () => {
    const created = await u.admin.post('/api/users', { username: 'dr.audit', password: PASSWORD, roles: ['clinician', 'auditor'] });
    expect(created.status).toBe(201);
    const both = await login(t.baseUrl, 'dr.audit', PASSWORD);
    const id = await newRecord();
    expect((await both.get(`/api/records/${id}`, emergency(JUSTIFICATION))).status).toBe(200);
    const access = (await unreviewed()).find((a) => a.recordId === id)!;
    expect(access.actor).toBe('dr.audit');
    expectProblem(await appendsNothing(() => both.post(`/api/audit/emergency-access/${access.accessId}/review`, { note: 'Fine by me' })), 403);
    expect((await u.auditor.post(`/api/audit/emergency-access/${access.accessId}/review`, { note: 'Checked' })).status).toBe(200);
  });

  it('of an unknown access is 404, of a malformed id 400, without a note 400; none appends anything', async () => {
    const { accessId } = await emergencyAccess();
    expectProblem(await appendsNothing(() => u.auditor.post('/api/audit/emergency-access/7c1d9e2f-3a4b-4c5d-8e6f-0a1b2c3d4e5f/review', { note: 'x' })), 404);
    expectProblem(await appendsNothing(() => u.auditor.post('/api/audit/emergency-access/not-a-uuid/review', { note: 'x' })), 400);
    for (const body of [{}, { note: '' }, { note: '   ' }, { note: 'n'.repeat(2001) }, { note: 'ok', extra: 1 }]) {
      expectProblem(await appendsNothing(() => u.auditor.post(`/api/audit/emergency-access/${accessId}/review`, body)), 400);
    }
  });

  it('of an access of a destroyed record: the record is forgotten by the list, the review is 404', async () => {
    const { id, accessId } = await emergencyAccess();
    expect((await approveAndDestroy(u, id)).status).toBe(200);
    expect((await unreviewed()).map((a) => a.accessId)).not.toContain(accessId);
    expectProblem(await appendsNothing(() => u.auditor.post(`/api/audit/emergency-access/${accessId}/review`, { note: 'Too late' })), 404);
    // The access itself stays in the destroyed record's log, its justification shredded with the key.
    const res = await u.auditor.get(`/api/records/${id}/events`, purpose('audit'));
    const accessed = res.body.events.find((e: any) => e.type === 'RecordAccessed' && e.data.purpose === 'emergency');
    expect(accessed).toMatchObject({ actor: 'clinician1', phiReadable: false });
    expect(accessed.data).not.toHaveProperty('justification');
  });
});

describe('an emergency search', () => {
  async function unreviewedSearches(): Promise<
    Array<{ queryId: string; day: string; actor: string; at: string; justification: string | null; text: string | null; mrn: string | null }>
  > {
    const res = await u.auditor.get(`/api/audit/emergency-searches?after=${await headPosition(t.baseUrl)}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    return res.body.searches;
  }

  async function emergencySearch(justification: string, client = u.clinician): Promise<{ queryId: string; day: string; actor: string; at: string }> {
    expect((await client.get('/api/search?q=anaphylaxis&mrn=BTG-S1', emergency(justification))).status).toBe(200);
    return (await unreviewedSearches()).find((s) => s.justification === justification)!;
  }

  it('is listed with what was searched and why until an auditor reviews it; the review is attributed and sealed', async () => {
    const justification = `Anaphylaxis in the ED, searching prior reactions ${++seq}`;
    // Searches for other purposes are never listed.
    expect((await u.clinician.get('/api/search?q=anaphylaxis', purpose('treatment'))).status).toBe(200);
    const search = await emergencySearch(justification);
    expect(search).toEqual(
      expect.objectContaining({ actor: 'clinician1', role: 'clinician', text: 'anaphylaxis', mrn: 'BTG-S1', justification, resultCount: expect.any(Number) }),
    );
    expect((await unreviewedSearches()).filter((s) => s.text === 'anaphylaxis' && s.justification === null)).toEqual([]);

    const review = await u.auditor.post(`/api/audit/emergency-searches/${search.queryId}/review`, { note: 'Matches the ED triage record' });
    expect(review.status).toBe(200);
    expect(review.body).toMatchObject({ queryId: search.queryId, reviewedBy: 'auditor1', note: 'Matches the ED triage record', position: expect.any(Number) });
    expect((await unreviewedSearches()).map((s) => s.queryId)).not.toContain(search.queryId);

    const reviews = storedEvents(`emergency-search-review-${search.day}`).filter((e) => e.data.queryId === search.queryId);
    expect(reviews).toEqual([
      {
        type: 'EmergencySearchReviewed',
        data: {
          queryId: search.queryId,
          day: search.day,
          reviewedBy: 'auditor1',
          reviewerRole: 'auditor',
          reviewedAt: review.body.reviewedAt,
          phi: expect.stringMatching(/^v1\./),
        },
        metadata: expect.objectContaining({ actor: 'auditor1', role: 'auditor', hash: expect.any(String) }),
      },
    ]);
    expect(JSON.stringify(storedEvents(`emergency-search-review-${search.day}`))).not.toContain('Matches the ED triage record');
    expectProblem(await appendsNothing(() => u.auditor.post(`/api/audit/emergency-searches/${search.queryId}/review`, { note: 'again' })), 409);
  });

  it('is auditors only, never reviewed by the searcher, and a bad review appends nothing', async () => {
    const search = await emergencySearch(`Unconscious patient ${++seq}`);
    for (const role of ['clerk', 'clinician', 'him', 'legal', 'archivist', 'admin'] as const) {
      expectProblem(await appendsNothing(() => u[role].get('/api/audit/emergency-searches')), 403);
      expectProblem(await appendsNothing(() => u[role].post(`/api/audit/emergency-searches/${search.queryId}/review`, { note: 'Looks fine' })), 403);
    }
    expectProblem(await appendsNothing(() => u.auditor.post('/api/audit/emergency-searches/7c1d9e2f-3a4b-4c5d-8e6f-0a1b2c3d4e5f/review', { note: 'x' })), 404);
    expectProblem(await appendsNothing(() => u.auditor.post('/api/audit/emergency-searches/not-a-uuid/review', { note: 'x' })), 400);
    for (const body of [{}, { note: '   ' }, { note: 'n'.repeat(2001) }, { note: 'ok', extra: 1 }]) {
      expectProblem(await appendsNothing(() => u.auditor.post(`/api/audit/emergency-searches/${search.queryId}/review`, body)), 400);
    }

    await u.admin.post('/api/users', { username: 'dr.search', password: PASSWORD, roles: ['clinician', 'auditor'] });
    const both = await login(t.baseUrl, 'dr.search', PASSWORD);
    const own = await emergencySearch(`Own search ${++seq}`, both);
    expect(own.actor).toBe('dr.search');
    expectProblem(await appendsNothing(() => both.post(`/api/audit/emergency-searches/${own.queryId}/review`, { note: 'Fine by me' })), 403);
    expect((await u.auditor.post(`/api/audit/emergency-searches/${own.queryId}/review`, { note: 'Checked' })).status).toBe(200);
  });

  // Last in the file: it shreds the day's query audit, after which no search of this suite could be audited.
  it('of a day whose query audit was shredded is 404, and appends nothing', async () => {
    const search = await emergencySearch(`Before the shredding ${++seq}`);
    await t.app.get<KeyStore>(KEY_STORE).destroy(queryAuditStream(search.at));
    expectProblem(await appendsNothing(() => u.auditor.post(`/api/audit/emergency-searches/${search.queryId}/review`, { note: 'Too late' })), 404);
  });
});
