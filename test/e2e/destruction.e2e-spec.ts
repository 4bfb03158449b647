import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { headPosition } from './support/configured-app';
import { approveAndDestroy, Client, recordForm, purpose, Response, startApp, TestApp, usersByRole } from './support/harness';

/**
 * Dual control of destruction over HTTP: a destruction names a person who approved that record as
 * it stands (POST /destruction-approvals, given by the approver themself) and who is not the caller.
 * Then the release purpose (sealed, gone with the key) and the shape of the 410 tombstone.
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

async function newRecord(): Promise<string> {
  const res = await u.clerk.request('POST', '/api/records', { form: recordForm({ mrn: `DX-${++seq}` }) });
  if (res.status !== 201) throw new Error(`fixture record: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

const approve = (client: Client, id: string, authority = AUTHORITY) => client.post(`/api/records/${id}/destruction-approvals`, { authority });
const destroy = (id: string, approvedBy: string, authority = AUTHORITY, client = u.archivist) =>
  client.post(`/api/records/${id}/destroy`, { authority, approvedBy });

function expectProblem(res: Response, status: number, detailPart?: string): void {
  expect(res.status).toBe(status);
  expect(res.contentType).toContain('application/problem+json');
  expect(res.body).toMatchObject({ type: expect.any(String), title: expect.any(String), status, detail: expect.any(String) });
  if (detailPart) expect(res.body.detail).toContain(detailPart);
}

/** Runs a refused destroy and checks that the event store's head did not move and the record still reads. */
async function refusedDestroy(id: string, run: () => Promise<Response>, detailPart: string): Promise<void> {
  const before = await headPosition(t.baseUrl);
  expectProblem(await run(), 409, detailPart);
  expect(await headPosition(t.baseUrl)).toBe(before);
  expect((await u.archivist.get(`/api/records/${id}`, purpose('operations'))).body.status).toBe('active');
}

const eventsOf = async (id: string) => (await u.auditor.get(`/api/records/${id}/events`, purpose('audit'))).body.events as Array<Record<string, any>>;

describe('a destruction needs the approval of another person', () => {
  it('naming a user who approved nothing answers 409 and destroys nothing', async () => {
    const id = await newRecord();
    await refusedDestroy(id, () => destroy(id, 'archivist2'), 'has not approved');
    await refusedDestroy(id, () => destroy(id, 'him1'), 'has not approved');
  });

  it("an approval is the approver's own, attributed on the record's stream and shown on its timeline", async () => {
    const id = await newRecord();
    const res = await approve(u.him, id);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      approvalId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      recordId: id,
      authority: AUTHORITY,
      approvedBy: 'him1',
      position: expect.any(Number),
    });

    const approved = (await eventsOf(id)).filter((e) => e.type === 'DestructionApproved');
    expect(approved).toEqual([
      expect.objectContaining({
        stream: `record-${id}`,
        actor: 'him1',
        role: 'him',
        data: expect.objectContaining({ approvalId: res.body.approvalId, authority: AUTHORITY, version: 1, approvedBy: 'him1', approverRole: 'him' }),
      }),
    ]);
    const history = await u.auditor.get(`/api/records/${id}/history?after=${res.body.position}`, purpose('audit'));
    expect(history.body.timeline.find((e: { type: string }) => e.type === 'destruction-approved')).toMatchObject({
      actor: 'him1',
      role: 'him',
      version: 1,
      details: { approvalId: res.body.approvalId, authority: AUTHORITY },
    });

    // An approval by him lets an archivist destroy.
    expect((await destroy(id, 'him1')).status).toBe(200);
  });

  it('refuses self-approval: the archivist who approved cannot destroy naming themself', async () => {
    const id = await newRecord();
    expect((await approve(u.archivist, id)).status).toBe(201);
    await refusedDestroy(id, () => destroy(id, 'archivist1'), 'someone other');
    // Whatever the case or spaces of the name.
    await refusedDestroy(id, () => destroy(id, ' ARCHIVIST1 '), 'someone other');
  });

  it('an approval covers the record as it stands: an amendment after it needs a new approval', async () => {
    const id = await newRecord();
    expect((await approve(u.archivist2, id)).status).toBe(201);
    const form = new FormData();
    form.append('kind', 'addendum');
    form.append('reason', 'Late note');
    expect((await u.him.request('POST', `/api/records/${id}/amendments`, { form })).status).toBe(201);
    await refusedDestroy(id, () => destroy(id, 'archivist2'), 'has not approved');
    expect((await approve(u.archivist2, id)).status).toBe(201);
    expect((await destroy(id, 'archivist2')).status).toBe(200);
  });

  it('refuses a second approval of the same version by the same person', async () => {
    const id = await newRecord();
    expect((await approve(u.archivist2, id)).status).toBe(201);
    const before = await headPosition(t.baseUrl);
    expectProblem(await approve(u.archivist2, id), 409, 'already approved');
    expect(await headPosition(t.baseUrl)).toBe(before);
  });

  it('refuses an authority other than the approved one', async () => {
    const id = await newRecord();
    expect((await approve(u.archivist2, id)).status).toBe(201);
    await refusedDestroy(id, () => destroy(id, 'archivist2', 'Schedule GS-99'), 'authority');
  });

  it('a hold blocks an approved destruction, and an approval while held', async () => {
    const id = await newRecord();
    expect((await approve(u.archivist2, id)).status).toBe(201);
    const hold = await u.legal.post(`/api/records/${id}/holds`, { matter: 'Doe v. County Hospital', reason: 'Preservation notice' });
    expect(hold.status).toBe(201);
    await refusedDestroy(id, () => destroy(id, 'archivist2'), 'legal hold');
    expectProblem(await approve(u.him, id), 409, 'legal hold');
    expect((await u.legal.request('DELETE', `/api/records/${id}/holds/${hold.body.holdId}`)).status).toBe(204);
    expect((await destroy(id, 'archivist2')).status).toBe(200);
  });

  it('approving a destroyed record answers 410 with the tombstone; an unknown one 404', async () => {
    const id = await newRecord();
    expect((await approveAndDestroy(u, id)).status).toBe(200);
    const gone = await approve(u.him, id);
    expectProblem(gone, 410);
    expect(gone.body).toMatchObject({ id, recordStatus: 'destroyed', authority: AUTHORITY });
    expectProblem(await approve(u.him, '00000000-0000-4000-8000-000000000000'), 404);
  });
});

describe('the tombstone', () => {
  it("is a problem whose status is the HTTP status, 410, with the record's state in recordStatus", async () => {
    const id = await newRecord();
    const destroyed = await approveAndDestroy(u, id);
    expect(destroyed.status).toBe(200);
    for (const res of [
      await u.clinician.get(`/api/records/${id}`, purpose('treatment')),
      await u.clinician.get(`/api/records/${id}/versions/1/text`, purpose('treatment')),
      await u.auditor.get(`/api/records/${id}/history`, purpose('audit')),
    ]) {
      expectProblem(res, 410);
      expect(res.body).toEqual({
        type: expect.any(String),
        title: 'Gone',
        status: 410,
        detail: 'The record was destroyed',
        id,
        recordStatus: 'destroyed',
        destroyedAt: destroyed.body.destroyedAt,
        authority: AUTHORITY,
      });
    }
  });
});

describe("a release's purpose", () => {
  const PURPOSE = 'Appeal of claim for Philippa Quenby-Orchard';

  /** The raw bytes of the event store: the database file and its write-ahead log. */
  const rawEventStore = () =>
    ['events.db', 'events.db-wal']
      .map((f) => join(t.dataDir, f))
      .filter(existsSync)
      .map((f) => readFileSync(f).toString('latin1'))
      .join('');

  it('is sealed: never in the raw event store, before or after destruction; the disclosures report reads it while the record lives', async () => {
    const mrn = `DX-${++seq}`;
    const created = await u.clerk.request('POST', '/api/records', { form: recordForm({ mrn }) });
    expect(created.status).toBe(201);
    const id = created.body.id;
    const released = await u.him.post(`/api/records/${id}/releases`, {
      recipient: { name: 'Northside Insurance' },
      purpose: PURPOSE,
      authorizationReference: 'AUTH-77',
      description: 'Discharge summary',
    });
    expect(released.status).toBe(201);

    const report = await u.him.get(`/api/patients/${mrn}/disclosures?after=${released.body.position}`, purpose('operations'));
    expect(report.body.disclosures).toEqual([expect.objectContaining({ purpose: PURPOSE })]);
    expect(rawEventStore()).not.toContain('Quenby-Orchard');

    expect((await approveAndDestroy(u, id)).status).toBe(200);
    expect(rawEventStore()).not.toContain('Quenby-Orchard');
    const events = await u.auditor.get(`/api/records/${id}/events`, purpose('audit'));
    const release = events.body.events.find((e: { type: string }) => e.type === 'RecordReleased');
    expect(release).toMatchObject({ phiReadable: false });
    expect(release.data).not.toHaveProperty('purpose');
  });
});
