import { headPosition } from './support/configured-app';
import { approveAndDestroy, purpose, recordForm, Response, startApp, TestApp, usersByRole } from './support/harness';

/**
 * Retention over HTTP: schedules as attributed events (defaults shipped with the code), and the
 * due list worked out from each record's facts and the schedules in force at query time: a
 * schedule change moves records into and out of the list without touching their streams.
 */

type Users = Awaited<ReturnType<typeof usersByRole>>;
let t: TestApp;
let u: Users;
let seq = 0;
const AS_OF = '2026-06-30';

beforeAll(async () => {
  t = await startApp();
  u = await usersByRole(t.baseUrl);
});
afterAll(() => t?.close());

function expectProblem(res: Response, status: number, field?: string): void {
  expect(res.status).toBe(status);
  expect(res.contentType).toContain('application/problem+json');
  expect(res.body).toMatchObject({ type: expect.any(String), title: expect.any(String), status, detail: expect.any(String) });
  if (field) expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
}

async function appendsNothing(run: () => Promise<Response>): Promise<Response> {
  const before = await headPosition(t.baseUrl);
  const res = await run();
  expect(await headPosition(t.baseUrl)).toBe(before);
  return res;
}

async function upload(fields: Record<string, string>): Promise<{ id: string; position: number }> {
  const res = await u.clerk.request('POST', '/api/records', { form: recordForm({ mrn: `RT-${++seq}`, ...fields }) });
  if (res.status !== 201) throw new Error(`fixture record: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.id, position: res.body.position };
}

const due = (query: string) => u.archivist.get(`/api/retention/due?${query}`);
const ids = (res: Response) => res.body.records.map((r: { id: string }) => r.id);
const revisionOf = async (id: string) => (await u.him.get(`/api/records/${id}`, purpose('operations'))).body.revision;

describe('retention schedules and the due list', () => {
  const r: Record<string, string> = {};
  let last = 0;

  beforeAll(async () => {
    // adult: 10 years after 2010-03-02 -> 2020-03-02, due.
    r.adult = (await upload({ dateOfBirth: '1961-04-12', encounterDate: '2010-03-02' })).id;
    // minor, 21st birthday 2031-05-01 later than 2022-01-10: not due yet.
    r.youngMinor = (await upload({ dateOfBirth: '2010-05-01', encounterDate: '2012-01-10' })).id;
    // minor born on a leap day: 21st birthday 1 March 2025, later than 2015-07-01: due.
    r.leapMinor = (await upload({ dateOfBirth: '2004-02-29', encounterDate: '2005-07-01' })).id;
    // correspondence, 6 years after 2019-05-05 -> 2025-05-05: due.
    r.letter = (await upload({ documentType: 'correspondence', encounterDate: '2019-05-05' })).id;
    // recent encounter: 2030-01-01, not due.
    r.recent = (await upload({ encounterDate: '2020-01-01' })).id;
    // lab report, 2025-01-01: due, and held.
    const lab = await upload({ documentType: 'lab-report', encounterDate: '2015-01-01' });
    r.held = lab.id;
    const hold = await u.legal.post(`/api/records/${r.held}/holds`, { matter: 'Roe v. Mercy General', reason: 'Preservation notice' });
    expect(hold.status).toBe(201);
    last = await headPosition(t.baseUrl);
  });

  it('ships the defaults: 10 years (minors until 21), authorizations and correspondence 6', async () => {
    const res = await u.auditor.get('/api/retention/schedules');
    expect(res.status).toBe(200);
    expect(res.body.schedules).toHaveLength(10);
    expect(res.body.schedules).toContainEqual({
      documentType: 'discharge-summary',
      years: 10,
      minorsUntilAge: 21,
      authority: 'medrec default',
      changedBy: null,
      changedAt: null,
    });
    expect(res.body.schedules.filter((s: { years: number }) => s.years === 6).map((s: { documentType: string }) => s.documentType)).toEqual([
      'authorization',
      'correspondence',
    ]);
  });

  it('names exactly the records due as of a day, by retention date, with the rule and the holds', async () => {
    const res = await due(`asOf=${AS_OF}&after=${last}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      records: [
        { id: r.adult, documentType: 'discharge-summary', retentionUntil: '2020-03-02', rule: '10 years after last encounter 2010-03-02', held: false },
        { id: r.held, documentType: 'lab-report', retentionUntil: '2025-01-01', rule: '10 years after last encounter 2015-01-01', held: true },
        {
          id: r.leapMinor,
          documentType: 'discharge-summary',
          retentionUntil: '2025-03-01',
          rule: 'minor at last encounter: until 21st birthday 2025-03-01',
          held: false,
        },
        { id: r.letter, documentType: 'correspondence', retentionUntil: '2025-05-05', rule: '6 years after last encounter 2019-05-05', held: false },
      ],
      nextCursor: null,
    });
    expect(ids(await u.him.get(`/api/retention/due?asOf=${AS_OF}&documentType=correspondence`))).toEqual([r.letter]);
    // The day before the leap-day minor's 21st birthday (28 February 2025), it is not yet due.
    expect(ids(await due('asOf=2025-02-28'))).toEqual([r.adult, r.held]);
  });

  it('pages with an opaque cursor', async () => {
    const first = await due(`asOf=${AS_OF}&limit=3`);
    expect(ids(first)).toEqual([r.adult, r.held, r.leapMinor]);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    expect(first.body.nextCursor).not.toContain('2025');
    const second = await due(`asOf=${AS_OF}&limit=3&cursor=${first.body.nextCursor}`);
    expect(second.body).toEqual({ records: [expect.objectContaining({ id: r.letter })], nextCursor: null });
  });

  it('a schedule change moves records into and out of the list at once, appending only the change', async () => {
    const revisions = await Promise.all(Object.values(r).map(revisionOf));
    const before = await headPosition(t.baseUrl);

    const letters = await u.archivist.request('PUT', '/api/retention/schedules/correspondence', { json: { years: 8, authority: 'State Records Act 4.2' } });
    expect(letters.status).toBe(200);
    expect(letters.body).toEqual({
      documentType: 'correspondence',
      years: 8,
      authority: 'State Records Act 4.2',
      changedBy: 'archivist1',
      changedAt: expect.any(String),
      position: expect.any(Number),
    });
    const summaries = await u.him.request('PUT', '/api/retention/schedules/discharge-summary', {
      json: { years: 5, minorsUntilAge: 19, authority: 'Hospital policy HIM-12' },
    });
    expect(summaries.status).toBe(200);
    expect(await headPosition(t.baseUrl)).toBe(before + 2);

    const res = await due(`asOf=${AS_OF}&after=${summaries.body.position}`);
    // The letter leaves (8 years: 2027-05-05); the recent summary comes in (5 years: 2025-01-01); the young
    // minor stays out (19th birthday 2029-05-01 is later than 2017-01-10). Same day: by id.
    const sameDay = [
      expect.objectContaining({ id: r.held, retentionUntil: '2025-01-01', held: true }),
      expect.objectContaining({ id: r.recent, retentionUntil: '2025-01-01', rule: '5 years after last encounter 2020-01-01', held: false }),
    ];
    expect(res.body.records).toEqual([
      expect.objectContaining({ id: r.adult, retentionUntil: '2015-03-02', rule: '5 years after last encounter 2010-03-02' }),
      expect.objectContaining({ id: r.leapMinor, retentionUntil: '2023-03-01', rule: 'minor at last encounter: until 19th birthday 2023-03-01' }),
      ...(r.held < r.recent ? sameDay : sameDay.reverse()),
    ]);
    expect(await Promise.all(Object.values(r).map(revisionOf))).toEqual(revisions);

    const schedules = await u.archivist.get('/api/retention/schedules');
    expect(schedules.body.schedules).toContainEqual({
      documentType: 'discharge-summary',
      years: 5,
      minorsUntilAge: 19,
      authority: 'Hospital policy HIM-12',
      changedBy: 'him1',
      changedAt: expect.any(String),
    });
  });

  it('a destroyed record leaves the list', async () => {
    const destroyed = await approveAndDestroy(u, r.adult);
    expect(destroyed.status).toBe(200);
    const res = await due(`asOf=${AS_OF}&after=${await headPosition(t.baseUrl)}`);
    expect(ids(res)).not.toContain(r.adult);
  });

  it('refuses bad input with a problem, appending nothing', async () => {
    expectProblem(
      await appendsNothing(() => u.archivist.request('PUT', '/api/retention/schedules/x-ray', { json: { years: 5, authority: 'Policy' } })),
      400,
      'documentType',
    );
    for (const [json, field] of [
      [{ years: 0, authority: 'Policy' }, 'years'],
      [{ years: 10.5, authority: 'Policy' }, 'years'],
      [{ years: 10, minorsUntilAge: 12, authority: 'Policy' }, 'minorsUntilAge'],
      [{ years: 10 }, 'authority'],
      [{ years: 10, authority: 'Policy', extra: true }, 'extra'],
    ] as const) {
      expectProblem(await appendsNothing(() => u.archivist.request('PUT', '/api/retention/schedules/other', { json })), 400, field);
    }
    for (const [query, field] of [
      ['asOf=2024-02-30', 'asOf'],
      ['', 'asOf'],
      ['asOf=2026-01-01&documentType=x-ray', 'documentType'],
      ['asOf=2026-01-01&limit=0', 'limit'],
      ['asOf=2026-01-01&cursor=not-a-cursor', 'cursor'],
      ['asOf=2026-01-01&mrn=RT-1', 'mrn'],
    ]) {
      expectProblem(await appendsNothing(() => due(query)), 400, field);
    }
  });
});
