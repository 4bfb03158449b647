import Database from '@medrec/sqlite';
import { join } from 'node:path';
import { headPosition } from './support/configured-app';
import { purpose, recordForm, Response, startApp, TestApp, usersByRole } from './support/harness';
import { sameUtcDayFor, utcToday } from './support/utc-day';

/**
 * The query audit over HTTP (GET /api/audit/queries): every search and disclosures report is a
 * PatientDataQueried fact of its day; an auditor reads a day's facts back with their PHI (the text,
 * the MRN, an emergency search's justification) decrypted, filtered and paged, and that reading is
 * itself audited. Nothing of the PHI is stored in clear.
 */

type Users = Awaited<ReturnType<typeof usersByRole>>;
let t: TestApp;
let u: Users;

beforeAll(async () => {
  t = await startApp();
  u = await usersByRole(t.baseUrl);
});
afterAll(() => t?.close());

/** The day of this suite's queries (it runs well within a minute, never across UTC midnight). */
let day: string;
const JUSTIFICATION = 'Patient unconscious in the ED; searching for prior allergy records';

function expectProblem(res: Response, status: number): void {
  expect(res.status).toBe(status);
  expect(res.contentType).toContain('application/problem+json');
}

/** The suite's day of query audit; `query` adds parameters (`&name=value...`). */
async function auditedQueries(query = ''): Promise<Response> {
  const res = await u.auditor.get(`/api/audit/queries?date=${day}${query}`);
  expect(res.status).toBe(200);
  expect(res.headers.get('cache-control')).toBe('no-store');
  return res;
}

/** The day's query-audit events as stored (sealed fields under `phi`), read from the embedded store's file. */
function storedQueryAudit(): Array<Record<string, unknown>> {
  const db = new Database(join(t.dataDir, 'events.db'), { readonly: true });
  try {
    const rows = db.prepare('SELECT data FROM events WHERE stream = ? ORDER BY revision').all(`query-audit-${day}`) as Array<{ data: string }>;
    return rows.map((r) => JSON.parse(r.data));
  } finally {
    db.close();
  }
}

describe('GET /api/audit/queries', () => {
  beforeAll(async () => {
    day = await sameUtcDayFor(60_000);
    const clerk = await u.clerk.request('POST', '/api/records', { form: recordForm({ mrn: 'QA-00001' }) });
    expect(clerk.status).toBe(201);
    expect((await u.him.get('/api/search?q=Hemoglobin+Tanaka', purpose('treatment'))).status).toBe(200);
    const emergency = await u.clinician.get('/api/search?q=allergy+penicillin&mrn=QA-00001', {
      ...purpose('emergency'),
      'x-emergency-justification': JUSTIFICATION,
    });
    expect(emergency.status).toBe(200);
    expect((await u.legal.get('/api/patients/QA-00001/disclosures', purpose('legal'))).status).toBe(200);
  });

  it("lists the day's searches and reports with who, why and what, the PHI decrypted", async () => {
    const { body } = await auditedQueries();
    expect(body.date).toBe(day);
    expect(body.nextCursor).toBeNull();
    expect(body.queries).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          kind: 'search',
          actor: 'him1',
          role: 'him',
          purpose: 'treatment',
          text: 'Hemoglobin Tanaka',
          mrn: null,
          justification: null,
        }),
        expect.objectContaining({
          kind: 'search',
          actor: 'clinician1',
          role: 'clinician',
          purpose: 'emergency',
          text: 'allergy penicillin',
          mrn: 'QA-00001',
          justification: JUSTIFICATION,
          filters: expect.objectContaining({ mrnFiltered: true, versions: 'current' }),
        }),
        expect.objectContaining({ kind: 'disclosures', actor: 'legal1', purpose: 'legal', mrn: 'QA-00001' }),
      ]),
    );
    const positions = body.queries.map((q: { position: number }) => q.position);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
  });

  it('keeps the PHI sealed in the log: no text, MRN or justification in clear', () => {
    const stored = JSON.stringify(storedQueryAudit());
    for (const phi of ['Hemoglobin Tanaka', 'allergy penicillin', 'QA-00001', JUSTIFICATION]) expect(stored).not.toContain(phi);
  });

  it('filters by purpose (break-the-glass searches) and by kind', async () => {
    const emergency = (await auditedQueries('&purpose=emergency')).body.queries;
    expect(emergency).toHaveLength(1);
    expect(emergency[0]).toMatchObject({ actor: 'clinician1', justification: JUSTIFICATION });
    const reports = (await auditedQueries('&kind=disclosures')).body.queries;
    expect(reports.map((q: { kind: string }) => q.kind)).toEqual(['disclosures']);
  });

  it('is itself audited, as a query-audit for the purpose audit, before it answers', async () => {
    const before = (await auditedQueries('&kind=query-audit')).body.queries.length;
    const after = (await auditedQueries('&kind=query-audit&purpose=audit')).body.queries;
    expect(after.length).toBe(before + 1);
    expect(after[after.length - 1]).toMatchObject({
      kind: 'query-audit',
      actor: 'auditor1',
      role: 'auditor',
      purpose: 'audit',
      filters: { date: day, limit: 1000, page: 'first', kind: 'query-audit' },
      resultCount: before,
    });
  });

  it('pages: every entry once, in order, by nextCursor', async () => {
    const whole = (await auditedQueries('&kind=search')).body.queries.map((q: { queryId: string }) => q.queryId);
    expect(whole.length).toBeGreaterThanOrEqual(2);
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Response = await auditedQueries(`&kind=search&limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.body.queries.length).toBeLessThanOrEqual(1);
      paged.push(...page.body.queries.map((q: { queryId: string }) => q.queryId));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(paged).toEqual(whole);
  });

  it('answers an empty list for a day without queries, and reads today without a date', async () => {
    const empty = await u.auditor.get('/api/audit/queries?date=2001-01-01');
    expect(empty.body).toEqual({ date: '2001-01-01', queries: [], nextCursor: null });
    const res = await u.auditor.get('/api/audit/queries?kind=disclosures');
    expect(res.status).toBe(200);
    expect(res.body.date).toBe(utcToday());
    expect(res.body.queries).toHaveLength(1);
  });

  it.each([
    ['an impossible date', '?date=2026-02-30', 'date'],
    ['a date in another form', '?date=07/12/2026', 'date'],
    ['an unknown purpose', '?purpose=curiosity', 'purpose'],
    ['an unknown kind', '?kind=export', 'kind'],
    ['a limit of 0', '?limit=0', 'limit'],
    ['a forged cursor', '?cursor=bm90LWEtY3Vyc29y', 'cursor'],
    ['an unknown parameter', '?mrn=QA-00001', 'mrn'],
  ])('refuses %s: 400 naming the parameter, and appends nothing', async (_, query, field) => {
    const before = await headPosition(t.baseUrl);
    const res = await u.auditor.get(`/api/audit/queries${query}`);
    expectProblem(res, 400);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    expect(await headPosition(t.baseUrl)).toBe(before);
  });

  it('is for auditors only: 403 for every other role, appending nothing', async () => {
    for (const role of ['clerk', 'clinician', 'him', 'legal', 'archivist', 'admin'] as const) {
      const before = await headPosition(t.baseUrl);
      expectProblem(await u[role].get('/api/audit/queries'), 403);
      expect(await headPosition(t.baseUrl)).toBe(before);
    }
  });
});
