import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { EventSourcedRunner } from '@medrec/application';
import { archiveBatchDecider, archiveBatchStream } from '@medrec/domain';
import { headPosition } from './support/configured-app';
import { approveAndDestroy, Client, purpose, recordForm, Response, startApp, TestApp, TINY_PNG, usersByRole } from './support/harness';

/**
 * Bulk archive over HTTP: a batch (process stream `archive-batch-<id>`) archives every live record
 * with no amendment, release or encounter since a day, each through the record decider's
 * ArchiveRecord, attributed to the caller. Archived records stay readable and become read-only; a
 * re-run archives nothing new; an interrupted batch is finished by resuming it.
 */

type Users = Awaited<ReturnType<typeof usersByRole>>;
let t: TestApp;
let u: Users;
let seq = 0;
const SINCE = '2020-01-01';

beforeAll(async () => {
  t = await startApp(undefined, { MEDREC_OCR_IN_PROCESS: 'true' });
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

async function upload(fields: Record<string, string>): Promise<string> {
  const res = await u.clerk.request('POST', '/api/records', { form: recordForm({ mrn: `AR-${++seq}`, ...fields }) });
  if (res.status !== 201) throw new Error(`fixture record: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

async function waitForOcr(client: Client, id: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await client.get(`/api/records/${id}`, purpose('operations'));
    if (res.body.versions?.[0]?.ocr.status !== 'pending') return;
    if (Date.now() > deadline) throw new Error(`OCR of ${id} still pending after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The stored objects of a record, by where they are: live (`blobs/records/<id>/…`) or archived (`blobs/archive/records/<id>/…`). */
function storedObjects(id: string): { live: string[]; archived: string[] } {
  const list = (dir: string): string[] =>
    existsSync(dir)
      ? readdirSync(dir, { recursive: true, withFileTypes: true })
          .filter((e) => e.isFile())
          .map((e) => e.name)
      : [];
  return { live: list(join(t.dataDir, 'blobs', 'records', id)), archived: list(join(t.dataDir, 'blobs', 'archive', 'records', id)) };
}

const statusOf = async (id: string) => (await u.him.get(`/api/records/${id}`, purpose('operations'))).body.status;
const sorted = (ids: string[]) => [...ids].sort();

function amendmentForm(): FormData {
  const form = new FormData();
  form.set('kind', 'correction');
  form.set('reason', 'Wrong ward on the first page');
  return form;
}

describe('bulk archive', () => {
  const r: Record<string, string> = {};
  let textBefore: unknown;

  beforeAll(async () => {
    r.old = await upload({ encounterDate: '2012-03-02' });
    r.oldLab = await upload({ documentType: 'lab-report', encounterDate: '2014-05-06' });
    r.amended = await upload({ encounterDate: '2012-03-02' });
    r.released = await upload({ encounterDate: '2012-03-02' });
    r.recent = await upload({ encounterDate: '2022-08-09' });
    r.noEncounter = await upload({});
    const amended = await u.him.request('POST', `/api/records/${r.amended}/amendments`, { form: amendmentForm() });
    expect(amended.status).toBe(201);
    const released = await u.him.post(`/api/records/${r.released}/releases`, {
      recipient: { name: 'Northside Insurance' },
      purpose: 'payment',
      authorizationReference: 'AUTH-7',
      description: 'Claim 88-1204',
    });
    expect(released.status).toBe(201);
    for (const id of Object.values(r)) await waitForOcr(u.him, id);
    textBefore = (await u.him.get(`/api/records/${r.old}/versions/1/text`, purpose('operations'))).body;
  });

  it('refuses bad input with a problem, appending nothing', async () => {
    for (const [json, field] of [
      [{ inactiveSince: '2024-02-30' }, 'inactiveSince'],
      [{ inactiveSince: '2024-1-01' }, 'inactiveSince'],
      [{}, 'inactiveSince'],
      [{ inactiveSince: SINCE, documentType: 'x-ray' }, 'documentType'],
      [{ inactiveSince: SINCE, reason: ' ' }, 'reason'],
      [{ inactiveSince: SINCE, mrn: 'AR-1' }, 'mrn'],
    ] as const) {
      expectProblem(await appendsNothing(() => u.archivist.post('/api/archive/batches', json)), 400, field);
    }
    expectProblem(await appendsNothing(() => u.clerk.post('/api/archive/batches', { inactiveSince: SINCE })), 403);
    expect(await statusOf(r.old)).toBe('active');
  });

  it('archives the records of one document type inactive since the day', async () => {
    const res = await u.archivist.post('/api/archive/batches', { inactiveSince: SINCE, documentType: 'lab-report' });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe(`/api/archive/batches/${res.body.id}`);
    expect(res.body).toEqual({ id: expect.any(String), archived: [r.oldLab], position: expect.any(Number) });
    expect(await statusOf(r.oldLab)).toBe('archived');
    expect(await statusOf(r.old)).toBe('active');
  });

  it('archives every other record inactive since the day, and none touched since', async () => {
    const res = await u.him.post('/api/archive/batches', { inactiveSince: SINCE, reason: 'Annual archive of inactive charts' });
    expect(res.status).toBe(201);
    expect(res.body.archived).toEqual([r.old]);
    for (const id of [r.amended, r.released, r.recent, r.noEncounter]) expect(await statusOf(id)).toBe('active');

    const batch = await u.auditor.get(`/api/archive/batches/${res.body.id}`);
    expect(batch.status).toBe(200);
    expect(batch.body).toEqual({
      id: res.body.id,
      status: 'completed',
      inactiveSince: SINCE,
      documentType: null,
      recordIds: [r.old],
      startedBy: 'him1',
      startedAt: expect.any(String),
      archived: [r.old],
      completedBy: 'him1',
      completedAt: expect.any(String),
    });

    // Each archiving is the record's own attributed event, caused by the batch.
    const events = await u.legal.get(`/api/records/${r.old}/events`, purpose('legal'));
    const archived = events.body.events.find((e: { type: string }) => e.type === 'RecordArchived');
    expect(archived).toMatchObject({ actor: 'him1', data: { reason: 'Annual archive of inactive charts', archivedBy: 'him1' } });
  });

  it('archived records stay readable (content and text, audited) and are read-only', async () => {
    const before = await headPosition(t.baseUrl);
    const content = await u.him.get(`/api/records/${r.old}/versions/1/content`, purpose('operations'));
    expect(content.status).toBe(200);
    expect(content.raw.equals(TINY_PNG)).toBe(true);
    const text = await u.him.get(`/api/records/${r.old}/versions/1/text`, purpose('operations'));
    expect(text.status).toBe(200);
    expect(text.body).toEqual(textBefore);
    // Both reads were audited (one access event each).
    expect(await headPosition(t.baseUrl)).toBeGreaterThanOrEqual(before + 2);

    expectProblem(await appendsNothing(() => u.him.request('POST', `/api/records/${r.old}/amendments`, { form: amendmentForm() })), 409);
  });

  it('archived content is moved to the archive location of the blob store; destruction deletes it there', async () => {
    const old = storedObjects(r.old);
    expect(old.live).toEqual([]);
    expect(old.archived.length).toBeGreaterThanOrEqual(1);
    expect(storedObjects(r.oldLab).live).toEqual([]);
    for (const id of [r.amended, r.recent]) expect(storedObjects(id)).toEqual({ live: expect.arrayContaining([expect.any(String)]), archived: [] });

    expect((await approveAndDestroy(u, r.oldLab)).status).toBe(200);
    expect(storedObjects(r.oldLab)).toEqual({ live: [], archived: [] });
  });

  it('a re-run archives nothing new', async () => {
    const res = await u.archivist.post('/api/archive/batches', { inactiveSince: SINCE });
    expect(res.status).toBe(201);
    expect(res.body.archived).toEqual([]);
  });

  it('a batch interrupted part way is finished by resuming it; resuming again changes nothing', async () => {
    const a = await upload({ encounterDate: '2011-01-01' });
    const b = await upload({ encounterDate: '2011-01-01' });
    const c = await upload({ encounterDate: '2011-01-01' });
    for (const id of [a, b, c]) await waitForOcr(u.him, id);
    // The batch started (its stream says so) and the process died after archiving `a` only.
    const batchId = randomUUID();
    const runner = t.app.get(EventSourcedRunner);
    const actor = { userId: randomUUID(), username: 'archivist1', role: 'archivist' as const };
    const context = { actor, correlationId: randomUUID(), at: new Date().toISOString() };
    const started = await runner.run({
      stream: archiveBatchStream(batchId),
      keyId: null,
      decider: archiveBatchDecider,
      command: { type: 'StartArchiveBatch', batchId, actor, at: context.at, inactiveSince: SINCE, recordIds: sorted([a, b, c]) },
      context,
    });
    const first = await u.archivist.post(`/api/records/${a}/archive`, { reason: 'Archived by hand meanwhile' });
    expect(first.status).toBe(200);
    expect((await u.archivist.get(`/api/archive/batches/${batchId}`)).body).toMatchObject({ status: 'started', archived: null });

    const resumed = await u.archivist.post(`/api/archive/batches/${batchId}/resume`);
    expect(resumed.status).toBe(200);
    // `a` was archived by someone else, not by the batch: skipped, not named.
    expect(resumed.body).toEqual({ id: batchId, archived: sorted([b, c]), position: expect.any(Number) });
    for (const id of [a, b, c]) expect(await statusOf(id)).toBe('archived');
    for (const id of [a, b, c]) expect(storedObjects(id).live).toEqual([]);
    expect(started.position).toBeLessThan(resumed.body.position);

    const again = await appendsNothing(() => u.archivist.post(`/api/archive/batches/${batchId}/resume`));
    expect(again.status).toBe(200);
    expect(again.body).toEqual(resumed.body);

    expectProblem(await appendsNothing(() => u.archivist.post(`/api/archive/batches/${randomUUID()}/resume`)), 404);
    expectProblem(await appendsNothing(() => u.archivist.get('/api/archive/batches/not-a-uuid')), 400, 'id');
  });
});
