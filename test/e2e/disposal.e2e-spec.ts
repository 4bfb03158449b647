import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PhiCodec } from '@medrec/application';
import { KEY_STORE, KeyStore } from '@medrec/crypto';
import { RecordEvent } from '@medrec/domain';
import { EVENT_STORE, EventStore } from '@medrec/event-store';
import { headPosition } from './support/configured-app';
import { purpose, recordForm, Response, startApp, TestApp, usersByRole } from './support/harness';

/**
 * The archivist's story over HTTP: six charts (two of a minor), a matter hold over two, the due list,
 * a dry run and a proposal that exclude the held ones with their matter, the proposer's approval
 * refused, a second archivist's approval, a hold lifted and another placed after approval, the
 * execution destroying exactly the due unheld records, and the certificate (JSON and PDF) listing them.
 * For the destroyed record: 410 with its tombstone, no stored object, no key, no search hit, its
 * earlier events' PHI no longer decryptable, while the certificate and its release in the patient's
 * accounting of disclosures stay.
 */

type Users = Awaited<ReturnType<typeof usersByRole>>;
let t: TestApp;
let u: Users;

beforeAll(async () => {
  t = await startApp(undefined, { MEDREC_FACILITY_NAME: 'General Hospital HIM' });
  u = await usersByRole(t.baseUrl);
});
afterAll(() => t?.close());

const AUTHORITY = 'State records schedule GS-12';
const MATTER = 'Doe v. County Hospital';
const AS_OF = '2020-06-01';

async function chart(fields: Record<string, string>): Promise<string> {
  const res = await u.clerk.request('POST', '/api/records', { form: recordForm(fields) });
  if (res.status !== 201) throw new Error(`fixture record: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

function expectProblem(res: Response, status: number): void {
  expect(res.status).toBe(status);
  expect(res.contentType).toContain('application/problem+json');
  expect(res.body).toMatchObject({ type: expect.any(String), title: expect.any(String), status, detail: expect.any(String) });
}

/** Every file under the blob store (live and archive locations) whose path names the record. */
function storedObjectsOf(recordId: string): string[] {
  const root = join(t.dataDir, 'blobs');
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .filter((path) => path.includes(recordId));
}

/** The record stream's raw events, as stored, opened with the key store as the server would open them. */
async function openedEvents(recordId: string) {
  const stored = await t.app.get<EventStore>(EVENT_STORE).readStream(`record-${recordId}`);
  return t.app.get(PhiCodec).decodeAll<RecordEvent>(recordId, stored);
}

const SEARCH_WORD = 'Quetzalcoatlus';

async function searchHits(query: string, after: number): Promise<string[]> {
  const res = await u.him.get(`/api/search?${query}&after=${after}`, purpose('operations'));
  expect(res.status).toBe(200);
  return (res.body.results as Array<{ recordId: string }>).map((r) => r.recordId);
}

async function appendsNothing(call: () => Promise<Response>): Promise<Response> {
  const before = await headPosition(t.baseUrl);
  const res = await call();
  expect(await headPosition(t.baseUrl)).toBe(before);
  return res;
}

it("runs the archivist's story end to end", async () => {
  const adult = { dateOfBirth: '1960-05-05' };
  const a = await chart({ ...adult, mrn: 'MRN-D-A', encounterDate: '2000-01-10' });
  const b = await chart({ ...adult, mrn: 'MRN-D-B', encounterDate: '2001-02-10' });
  const c = await chart({ ...adult, mrn: 'MRN-D-C', encounterDate: '2002-03-10', title: `Operative note ${SEARCH_WORD}` });
  const d = await chart({ ...adult, mrn: 'MRN-D-D', encounterDate: '2003-04-10' });
  // A minor at the encounter (born 2000): kept until the 21st birthday (2021), not 10 years (2015).
  const e = await chart({ dateOfBirth: '2000-01-01', mrn: 'MRN-D-E', encounterDate: '2005-01-01' });
  const f = await chart({ dateOfBirth: '2000-01-01', mrn: 'MRN-D-E', encounterDate: '2005-06-01' });

  const hold = await u.legal.post('/api/legal-holds', { matter: MATTER, reason: 'Preservation notice', recordIds: [a, b] });
  expect(hold.status).toBe(201);

  // Before the batch, c is released, found by a word of its title and by its MRN, and its events open.
  const release = await u.him.post(`/api/records/${c}/releases`, {
    recipient: { name: 'Northside Insurance', address: '1 Example Way' },
    purpose: 'Claim review',
    authorizationReference: 'AUTH-D-C',
    description: 'Operative note',
  });
  expect(release.status).toBe(201);
  const disclosuresOfC = async (after: number) => {
    const res = await u.auditor.get(`/api/patients/MRN-D-C/disclosures?after=${after}`, purpose('audit'));
    expect(res.status).toBe(200);
    return res.body.disclosures as Array<Record<string, unknown>>;
  };
  const releaseOfC = {
    recordId: c,
    releaseId: release.body.releaseId,
    recipient: { name: 'Northside Insurance', address: '1 Example Way' },
    purpose: 'Claim review',
    authorizationReference: 'AUTH-D-C',
    description: 'Operative note',
    releasedBy: 'him1',
  };
  expect(await disclosuresOfC(release.body.position)).toEqual([expect.objectContaining(releaseOfC)]);
  expect(await searchHits(`q=${SEARCH_WORD}`, release.body.position)).toEqual([c]);
  expect(await searchHits('mrn=MRN-D-C', release.body.position)).toEqual([c]);
  const before = await openedEvents(c);
  expect(before.map((e) => e.event.type)).toEqual(['RecordCreated', 'RecordReleased']);
  expect(before.every((e) => e.phiReadable)).toBe(true);
  expect(before[0].event).toMatchObject({ data: { mrn: 'MRN-D-C', title: `Operative note ${SEARCH_WORD}` } });

  const due = await u.archivist.get(`/api/retention/due?asOf=${AS_OF}&limit=500&after=${hold.body.position}`);
  expect(due.status).toBe(200);
  const dueIds = (due.body.records as Array<{ id: string; held: boolean }>).map((r) => r.id);
  expect(dueIds.sort()).toEqual([a, b, c, d].sort());
  expect(dueIds).not.toContain(e);
  expect(dueIds).not.toContain(f);

  const proposal = { asOf: AS_OF, authority: AUTHORITY };
  const dry = await appendsNothing(() => u.archivist.post('/api/disposal/batches?dryRun=true', proposal));
  expect(dry.status).toBe(200);
  expect([...dry.body.included].sort()).toEqual([c, d].sort());
  expect(dry.body.excluded).toEqual(
    expect.arrayContaining([
      { recordId: a, reason: 'held', matter: MATTER },
      { recordId: b, reason: 'held', matter: MATTER },
    ]),
  );

  const proposed = await u.archivist.post('/api/disposal/batches', proposal);
  expect(proposed.status).toBe(201);
  expect([...proposed.body.included].sort()).toEqual([c, d].sort());
  const batchId: string = proposed.body.id;

  expectProblem(await appendsNothing(() => u.archivist.post(`/api/disposal/batches/${batchId}/execute`, {})), 409);
  expectProblem(await appendsNothing(() => u.archivist.post(`/api/disposal/batches/${batchId}/approve`, {})), 403);
  const approved = await u.archivist2.post(`/api/disposal/batches/${batchId}/approve`, {});
  expect(approved.status).toBe(200);
  expect(approved.body).toMatchObject({ status: 'approved', approvedBy: 'archivist2' });
  // A second approval is idempotent.
  expect((await appendsNothing(() => u.archivist2.post(`/api/disposal/batches/${batchId}/approve`, {}))).status).toBe(200);

  // After approval: the matter hold is lifted (a and b stay out of the batch), another is placed on d.
  expect((await u.legal.request('DELETE', `/api/legal-holds/${hold.body.id}`)).status).toBe(204);
  const late = await u.legal.post('/api/legal-holds', { matter: 'Roe v. Clinic', reason: 'Litigation', recordIds: [d] });
  expect(late.status).toBe(201);

  const executed = await u.archivist.post(`/api/disposal/batches/${batchId}/execute`, {});
  expect(executed.status).toBe(200);
  expect(executed.body.destroyed).toEqual([c]);
  expect(executed.body.skipped).toEqual([{ recordId: d, reason: 'held', matter: 'Roe v. Clinic' }]);
  const certificateId: string = executed.body.certificateId;

  // Executing again answers the same, appends nothing, and issues no second certificate.
  const again = await appendsNothing(() => u.archivist.post(`/api/disposal/batches/${batchId}/execute`, {}));
  expect(again.body).toMatchObject({ destroyed: [c], certificateId });
  expectProblem(await appendsNothing(() => u.him.post(`/api/disposal/batches/${batchId}/approve`, {})), 409);

  const batch = await u.auditor.get(`/api/disposal/batches/${batchId}`, purpose('audit'));
  expect(batch.body).toMatchObject({ status: 'executed', proposedBy: 'archivist1', approvedBy: 'archivist2', executedBy: 'archivist1', certificateId });

  const cert = await u.auditor.get(`/api/disposal/certificates/${certificateId}`, purpose('audit'));
  expect(cert.status).toBe(200);
  expect(cert.body).toMatchObject({
    id: certificateId,
    batchId,
    facility: 'General Hospital HIM',
    records: [{ recordId: c, mrn: 'MRN-D-C', documentType: expect.any(String), from: '2002-03-10', to: expect.any(String), versions: 1 }],
    count: 1,
    authority: AUTHORITY,
    method: expect.stringContaining('crypto-shredding'),
    performedBy: ['archivist1'],
    approvedBy: 'archivist2',
    statement: expect.stringContaining('cannot be reconstructed'),
    sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
  });
  const list = await u.legal.get('/api/disposal/certificates', purpose('legal'));
  expect(list.body.certificates.map((x: { id: string }) => x.id)).toEqual([certificateId]);

  const pdf = await u.auditor.get(`/api/disposal/certificates/${certificateId}`, { ...purpose('audit'), accept: 'application/pdf' });
  expect(pdf.status).toBe(200);
  expect(pdf.contentType).toContain('application/pdf');
  const text = pdfText(pdf.body as Buffer);
  expect(text).toContain(c);
  expect(text).not.toContain(d);
  expect(text).toContain('General Hospital HIM');

  // The destroyed record: 410 with its tombstone, no stored object left, no key; the held one lives.
  const gone = await u.legal.get(`/api/records/${c}`, purpose('legal'));
  expectProblem(gone, 410);
  expect(gone.body).toMatchObject({ id: c, recordStatus: 'destroyed', authority: AUTHORITY });
  expect(storedObjectsOf(c)).toEqual([]);
  expect(storedObjectsOf(e).length).toBeGreaterThan(0);
  expect(await t.app.get<KeyStore>(KEY_STORE).isDestroyed(c)).toBe(true);
  expect(await t.app.get<KeyStore>(KEY_STORE).get(c)).toBeNull();
  // No search hit, by its words or its MRN.
  const head = await headPosition(t.baseUrl);
  expect(await searchHits(`q=${SEARCH_WORD}`, head)).toEqual([]);
  expect(await searchHits('mrn=MRN-D-C', head)).toEqual([]);
  // Its earlier events are still stored, sealed, but their PHI can no longer be opened.
  const after = await openedEvents(c);
  expect(after.slice(0, 2).map((x) => x.stored.id)).toEqual(before.map((x) => x.stored.id));
  for (const x of after.slice(0, 2)) {
    expect(x.stored.data).toHaveProperty('phi');
    expect(x.phiReadable).toBe(false);
  }
  expect(after[0].event.data).not.toHaveProperty('mrn');
  expect(after[0].event.data).not.toHaveProperty('title');
  expect(after[1].event.data).not.toHaveProperty('recipient');
  expect(after[1].event.data).not.toHaveProperty('purpose');
  // The accounting of disclosures keeps its release.
  expect(await disclosuresOfC(head)).toEqual([expect.objectContaining(releaseOfC)]);
  for (const id of [a, b, d, e, f]) expect((await u.legal.get(`/api/records/${id}`, purpose('legal'))).status).toBe(200);
  const events = await u.legal.get(`/api/records/${c}/events`, purpose('legal'));
  expect(events.body.events.map((x: { type: string }) => x.type)).toEqual(expect.arrayContaining(['DestructionApproved', 'RecordDestroyed']));
  const destroyedEvent = events.body.events.find((x: { type: string }) => x.type === 'RecordDestroyed');
  expect(destroyedEvent.data).toMatchObject({ batchId, authority: AUTHORITY, approvedBy: 'archivist2', destroyedBy: 'archivist1' });
  expect(JSON.stringify(events.body)).not.toContain('MRN-D-C');
});

it('refuses bad input with a problem and appends nothing', async () => {
  const post = (json: unknown, query = '') => appendsNothing(() => u.archivist.post(`/api/disposal/batches${query}`, json));
  expectProblem(await post({ asOf: '2024-02-30', authority: AUTHORITY }), 400);
  expectProblem(await post({ asOf: '2024-01-01', authority: AUTHORITY, documentType: 'tax-return' }), 400);
  expectProblem(await post({ asOf: '2024-01-01' }), 400);
  expectProblem(await post({ asOf: '2024-01-01', authority: AUTHORITY, recordIds: ['nope'] }), 400);
  expectProblem(await post({ asOf: '2024-01-01', authority: AUTHORITY }, '?dryRun=maybe'), 400);
  expectProblem(await appendsNothing(() => u.archivist.post('/api/disposal/batches/00000000-0000-4000-8000-000000000000/execute', {})), 404);
  expectProblem(await appendsNothing(() => u.archivist.post('/api/disposal/batches/not-a-uuid/approve', {})), 400);
});

/** The text of an uncompressed pdfkit PDF in a standard font: each TJ array's hex strings (WinAnsi codes), decoded. */
function pdfText(pdf: Buffer): string {
  const source = pdf.toString('latin1');
  const lines: string[] = [];
  for (const m of source.matchAll(/\[([^\]]*)\]\s*TJ/g)) {
    lines.push([...m[1].matchAll(/<([0-9a-fA-F]*)>/g)].map((h) => Buffer.from(h[1], 'hex').toString('latin1')).join(''));
  }
  return lines.join('\n');
}
