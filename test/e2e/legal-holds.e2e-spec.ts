import { randomUUID } from 'node:crypto';
import { headPosition } from './support/configured-app';
import { Client, purpose, recordForm, Response, startApp, TestApp, usersByRole } from './support/harness';

/**
 * Legal holds by matter over HTTP: one hold over records by id or over a patient (MRN, including
 * records created later), shown on each record and in its history, blocking destruction until lifted
 * everywhere; record-level holds keep working beside it.
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

const AUTHORITY = 'Schedule GS-12';
const MATTER = 'Doe v. County Hospital';

async function newRecord(mrn = `LH-${++seq}`): Promise<string> {
  const res = await u.clerk.request('POST', '/api/records', { form: recordForm({ mrn, title: `Chart ${++seq}` }) });
  if (res.status !== 201) throw new Error(`fixture record: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

const approve = async (id: string) => {
  const res = await u.archivist2.post(`/api/records/${id}/destruction-approvals`, { authority: AUTHORITY });
  expect(res.status).toBe(201);
};
const destroy = (id: string) => u.archivist.post(`/api/records/${id}/destroy`, { authority: AUTHORITY, approvedBy: 'archivist2' });
const holdsOf = async (id: string) => (await u.legal.get(`/api/records/${id}`, purpose('legal'))).body.holds as Array<{ holdId: string; matter: string }>;
const timelineTypes = async (id: string) =>
  ((await u.legal.get(`/api/records/${id}/history`, purpose('legal'))).body.timeline as Array<{ type: string }>).map((e) => e.type);

function expectProblem(res: Response, status: number): void {
  expect(res.status).toBe(status);
  expect(res.contentType).toContain('application/problem+json');
  expect(res.body).toMatchObject({ type: expect.any(String), title: expect.any(String), status, detail: expect.any(String) });
}

async function appendsNothing(call: () => Promise<Response>): Promise<Response> {
  const before = await headPosition(t.baseUrl);
  const res = await call();
  expect(await headPosition(t.baseUrl)).toBe(before);
  return res;
}

it('holds two of three records under one matter until it is lifted', async () => {
  const [a, b, c] = [await newRecord(), await newRecord(), await newRecord()];
  await approve(a);
  await approve(c);
  const placed = await u.legal.post('/api/legal-holds', { matter: MATTER, reason: 'Preservation notice', recordIds: [a, b] });
  expect(placed.status).toBe(201);
  expect(placed.body).toMatchObject({ id: expect.any(String), recordIds: [a, b] });
  const holdId: string = placed.body.id;

  expect(await holdsOf(a)).toEqual([{ holdId, matter: MATTER }]);
  expect(await holdsOf(b)).toEqual([{ holdId, matter: MATTER }]);
  expect(await holdsOf(c)).toEqual([]);
  expect(await timelineTypes(a)).toContain('hold-placed');

  const list = await u.archivist.get(`/api/legal-holds?after=${placed.body.position}`, purpose('operations'));
  expect(list.status).toBe(200);
  expect(list.body.holds).toContainEqual({
    id: holdId,
    matter: MATTER,
    reason: 'Preservation notice',
    recordIds: [a, b].sort(),
    placedBy: 'legal1',
    placedAt: expect.any(String),
  });

  expectProblem(await destroy(a), 409);
  expect((await destroy(c)).status).toBe(200);

  const lifted = await u.legal.request('DELETE', `/api/legal-holds/${holdId}`);
  expect(lifted.status).toBe(204);
  expect(await holdsOf(a)).toEqual([]);
  expect(await holdsOf(b)).toEqual([]);
  expect(await timelineTypes(a)).toContain('hold-lifted');
  expect((await destroy(a)).status).toBe(200);

  // Lifting again is harmless (a lift interrupted part way is finished so).
  expect((await u.legal.request('DELETE', `/api/legal-holds/${holdId}`)).status).toBe(204);
  const after = await u.auditor.get('/api/legal-holds', purpose('audit'));
  expect(after.body.holds.find((h: { id: string }) => h.id === holdId)).toMatchObject({ liftedBy: 'legal1', liftedAt: expect.any(String) });
});

it("holds a patient's records, those created later too, and a record-level hold still blocks after the lift", async () => {
  const mrn = `MRN-LH-${randomUUID().slice(0, 8)}`;
  const [a, b] = [await newRecord(mrn), await newRecord(mrn)];
  const other = await newRecord();
  await approve(a);
  const placed = await u.legal.post('/api/legal-holds', { matter: MATTER, reason: 'Whole chart', mrn });
  expect(placed.status).toBe(201);
  expect([...placed.body.recordIds].sort()).toEqual([a, b].sort());
  const holdId: string = placed.body.id;

  const later = await newRecord(mrn);
  expect(await holdsOf(later)).toEqual([{ holdId, matter: MATTER }]);
  expect(await holdsOf(other)).toEqual([]);
  const own = await u.legal.post(`/api/records/${b}/holds`, { matter: 'Another matter', reason: 'Separate claim' });
  expect(own.status).toBe(201);

  expectProblem(await destroy(a), 409);
  expectProblem(await u.archivist2.post(`/api/records/${later}/destruction-approvals`, { authority: AUTHORITY }), 409);

  expect((await u.legal.request('DELETE', `/api/legal-holds/${holdId}`)).status).toBe(204);
  for (const id of [a, later]) expect(await holdsOf(id)).toEqual([]);
  expect(await holdsOf(b)).toEqual([{ holdId: own.body.holdId, matter: 'Another matter' }]);
  expect((await destroy(a)).status).toBe(200);
  await approve(later);
  expect((await destroy(later)).status).toBe(200);
  expectProblem(await u.archivist2.post(`/api/records/${b}/destruction-approvals`, { authority: AUTHORITY }), 409);

  // A record created after the lift is not held.
  expect(await holdsOf(await newRecord(mrn))).toEqual([]);
  const list = await u.legal.get('/api/legal-holds', purpose('legal'));
  expect(list.body.holds.find((h: { id: string }) => h.id === holdId)).toMatchObject({ mrn, recordIds: expect.arrayContaining([a, b, later]) });
});

it('refuses bad input with a problem and appends nothing', async () => {
  const id = await newRecord();
  const post = (json: unknown, client: Client = u.legal) => appendsNothing(() => client.post('/api/legal-holds', json));
  expectProblem(await post({ matter: MATTER, reason: 'x' }), 400);
  expectProblem(await post({ matter: MATTER, reason: 'x', recordIds: [] }), 400);
  expectProblem(await post({ matter: MATTER, reason: 'x', recordIds: [id, randomUUID()] }), 400);
  expectProblem(await post({ matter: MATTER, reason: 'x', recordIds: ['not-a-uuid'] }), 400);
  expectProblem(await post({ matter: MATTER, reason: 'x', mrn: 'bad mrn!' }), 400);
  expectProblem(await post({ matter: '', reason: 'x', recordIds: [id] }), 400);

  const gone = await newRecord();
  await approve(gone);
  expect((await destroy(gone)).status).toBe(200);
  const refused = await post({ matter: MATTER, reason: 'x', recordIds: [id, gone] });
  expectProblem(refused, 409);
  expect(refused.body.destroyedRecordIds).toEqual([gone]);

  expectProblem(await appendsNothing(() => u.legal.request('DELETE', `/api/legal-holds/${randomUUID()}`)), 404);
  expectProblem(await post({ matter: MATTER, reason: 'x', recordIds: [id] }, u.archivist), 403);
  expect(await holdsOf(id)).toEqual([]);
});
