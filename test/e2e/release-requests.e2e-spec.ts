import { createHash, randomUUID } from 'node:crypto';
import yauzl from 'yauzl';
import { BLOB_STORE, BlobStore } from '@medrec/blob-store';
import { EVENT_STORE, EventStore } from '@medrec/event-store';
import { RecordRepository } from '../../apps/api/src/records/record-repository';
import { headPosition } from './support/configured-app';
import { scanForm, scanManifest, ScanFixture } from './support/fixtures';
import { approveAndDestroy, purpose, recordForm, Response, startApp, TestApp, usersByRole } from './support/harness';

/**
 * Release-of-information requests over HTTP (HIPAA right of access): a request over two charts of
 * one patient is fulfilled with a ZIP package (originals, OCR texts, statements linked to the
 * records, a manifest with SHA-256s), each release is accounted for in the disclosures report, and
 * the package is downloaded as an audited read. Refusals (expired authorization, destroyed record,
 * another patient's record, bad input) append nothing; an interrupted fulfilment resumes.
 */

type Users = Awaited<ReturnType<typeof usersByRole>>;
let t: TestApp;
let u: Users;
let seq = 0;

const scans = scanManifest().filter((s) => s.mrn === 'MRN-00600218' && s.file.endsWith('.pdf'));
const MRN = scans[0].mrn;
const day = (offset = 0): string => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

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

async function uploadScan(scan: ScanFixture): Promise<string> {
  const res = await u.clerk.request('POST', '/api/records', { form: scanForm(scan, { allowDuplicate: 'true' }) });
  if (res.status !== 201) throw new Error(`fixture record: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

/**
 * A record whose text recognition (OCR runs in process here) has finished and whose last event is
 * written, so that no background append lands inside a later "nothing appended" check.
 */
async function tinyRecord(mrn: string): Promise<string> {
  const res = await u.clerk.request('POST', '/api/records', { form: recordForm({ mrn, title: `Note ${++seq}` }) });
  if (res.status !== 201) throw new Error(`fixture record: ${res.status} ${JSON.stringify(res.body)}`);
  const id: string = res.body.id;
  const deadline = Date.now() + 90_000;
  while ((await u.clerk.get(`/api/records/${id}/status`)).body.versions?.some((v: { ocr: { status: string } }) => v.ocr.status === 'pending')) {
    if (Date.now() > deadline) throw new Error(`OCR of ${id} still pending`);
    await new Promise((r) => setTimeout(r, 200));
  }
  for (let last = -1, head = await headPosition(t.baseUrl); head !== last; last = head, head = await headPosition(t.baseUrl)) {
    await new Promise((r) => setTimeout(r, 300));
  }
  return id;
}

async function waitForOcr(id: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await u.him.get(`/api/records/${id}`, purpose('operations'));
    if (res.body.versions?.every((v: { ocr: { status: string } }) => v.ocr.status !== 'pending')) return;
    if (Date.now() > deadline) throw new Error(`OCR of ${id} still pending after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const request = (recordIds: string[], overrides: Record<string, unknown> = {}) => ({
  mrn: MRN,
  requester: 'Jane Q. Testpatient',
  recipient: { name: 'Dr. Rivera', address: '1 Clinic Road, Springfield' },
  purpose: 'continuing care',
  recordIds,
  authorizationReference: `AUTH-${++seq}`,
  authorizationExpires: day(30),
  receivedAt: day(),
  ...overrides,
});

async function newRequest(recordIds: string[], overrides: Record<string, unknown> = {}): Promise<string> {
  const res = await u.him.post('/api/release-requests', request(recordIds, overrides));
  if (res.status !== 201) throw new Error(`fixture request: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

/** Every entry of a ZIP, by path. */
function unzip(zip: Buffer): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(zip, { lazyEntries: true }, (error, file) => {
      if (error || !file) return reject(error ?? new Error('no zip'));
      const entries = new Map<string, Buffer>();
      file.on('error', reject);
      file.on('end', () => resolve(entries));
      file.on('entry', (entry: yauzl.Entry) => {
        file.openReadStream(entry, (streamError, stream) => {
          if (streamError || !stream) return reject(streamError ?? new Error('no stream'));
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('error', reject);
          stream.on('end', () => {
            entries.set(entry.fileName, Buffer.concat(chunks));
            file.readEntry();
          });
        });
      });
      file.readEntry();
    });
  });
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('a release request over two charts of one patient', () => {
  let charts: string[];
  let requestId: string;
  let statementIds: { denial: string; disagreement: string; rebuttal: string };

  beforeAll(async () => {
    charts = [await uploadScan(scans[0]), await uploadScan(scans[1])];
    for (const id of charts) await waitForOcr(id);
    // The patient's amendment request for the first chart, denied; the patient's disagreement and HIM's rebuttal filed.
    const amendment = await u.him.post('/api/amendment-requests', { recordId: charts[0], requestedChange: 'Remove the allergy', receivedAt: day() });
    expect(amendment.status).toBe(201);
    const amendmentId: string = amendment.body.id;
    const steps = [
      ['deny', { reason: 'The allergy was confirmed by testing.' }],
      ['disagreement', { statement: 'I have never had this allergy.' }],
      ['rebuttal', { statement: 'The skin test of 2023 stands.' }],
    ] as const;
    for (const [step, body] of steps) expect((await u.him.post(`/api/amendment-requests/${amendmentId}/${step}`, body)).status).toBe(200);
    statementIds = { denial: `${amendmentId}-denial`, disagreement: `${amendmentId}-disagreement`, rebuttal: `${amendmentId}-rebuttal` };
  });

  it('is received, due 30 days later, and fulfilled with a package of originals, OCR texts, statements and a manifest', async () => {
    const created = await u.him.post('/api/release-requests', request(charts));
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ id: expect.any(String), dueAt: day(30), position: expect.any(Number) });
    requestId = created.body.id;

    const fulfilled = await u.him.post(`/api/release-requests/${requestId}/fulfil`);
    expect(fulfilled.status).toBe(200);
    expect(fulfilled.body).toMatchObject({ packageUrl: `/api/release-requests/${requestId}/package` });

    const pkg = await u.him.get(fulfilled.body.packageUrl, purpose('patient-request'));
    expect(pkg.status).toBe(200);
    expect(pkg.contentType).toBe('application/zip');
    expect(pkg.headers.get('content-disposition')).toBe(`attachment; filename="release-${requestId}.zip"`);
    const entries = await unzip(pkg.raw);
    const manifest = JSON.parse(entries.get('manifest.json')!.toString('utf8'));
    expect(manifest.records).toEqual(charts.map((recordId) => ({ recordId, documentType: expect.any(String), versions: [1], ocr: 'done' })));
    expect(manifest.request).toMatchObject({ id: requestId, mrn: MRN, recipient: { name: 'Dr. Rivera' }, purpose: 'continuing care', dueAt: day(30) });

    for (const id of charts) {
      const original = await u.him.get(`/api/records/${id}/versions/1/content`, purpose('operations'));
      const file = manifest.files.find((f: { recordId: string; kind: string }) => f.recordId === id && f.kind === 'original');
      expect(file).toMatchObject({ version: 1, sha256: sha256(original.raw), size: original.raw.length });
      expect(sha256(entries.get(file.path)!)).toBe(file.sha256);
      expect(entries.get(file.path)!.equals(original.raw)).toBe(true);

      const text = await u.him.get(`/api/records/${id}/versions/1/text`, purpose('operations'));
      const textFile = manifest.files.find((f: { recordId: string; kind: string }) => f.recordId === id && f.kind === 'ocr-text');
      const packagedText = entries.get(textFile.path)!;
      expect(packagedText.toString('utf8').split('\f')).toEqual(text.body.pages.map((p: { text: string }) => p.text));
      expect(textFile).toMatchObject({ sha256: sha256(packagedText), size: packagedText.length });
    }

    const statements = manifest.files.filter((f: { kind: string }) => f.kind === 'statement');
    expect(statements).toEqual([
      expect.objectContaining({ recordId: charts[0], statementKind: 'denial', statementId: statementIds.denial }),
      expect.objectContaining({ recordId: charts[0], statementKind: 'disagreement', statementId: statementIds.disagreement }),
      expect.objectContaining({ recordId: charts[0], statementKind: 'rebuttal', statementId: statementIds.rebuttal }),
    ]);
    expect(entries.get(statements[1].path)!.toString('utf8')).toBe('I have never had this allergy.');
    expect(entries.get(statements[2].path)!.toString('utf8')).toBe('The skin test of 2023 stands.');
    // Every file listed, and nothing else.
    expect([...entries.keys()].sort()).toEqual([...manifest.files.map((f: { path: string }) => f.path), 'manifest.json'].sort());
  });

  it('keeps the request’s PHI sealed in its events, and none in their metadata', async () => {
    const events = await t.app.get<EventStore>(EVENT_STORE).readStream(`release-request-${requestId}`);
    expect(events.map((e) => e.type)).toEqual(['ReleaseRequestReceived', 'ReleasePackageBuilt', 'ReleaseRequestFulfilled']);
    expect(events[0].data).toEqual(expect.objectContaining({ phi: expect.stringMatching(/^v1\./), recordIds: charts, dueAt: day(30) }));
    const stored = JSON.stringify(events.map((e) => ({ data: e.data, metadata: e.metadata })));
    for (const phi of [MRN, 'Jane Q. Testpatient', 'Dr. Rivera', 'Clinic Road', 'continuing care', 'AUTH-']) expect(stored).not.toContain(phi);
  });

  it('lists the release in the patient’s disclosures with recipient, purpose and date', async () => {
    const res = await u.him.get(`/api/patients/${MRN}/disclosures?after=${await headPosition(t.baseUrl)}`, purpose('operations'));
    expect(res.status).toBe(200);
    const ours = res.body.disclosures.filter((d: { releaseId: string }) => d.releaseId === requestId);
    expect(ours.map((d: { recordId: string }) => d.recordId).sort()).toEqual([...charts].sort());
    for (const d of ours) {
      expect(d).toMatchObject({ recipient: { name: 'Dr. Rivera', address: '1 Clinic Road, Springfield' }, purpose: 'continuing care', versions: [1] });
      expect(d.date.slice(0, 10)).toBe(day());
    }
  });

  it('answers a second fulfil with the same package, appending nothing', async () => {
    const res = await appendsNothing(() => u.him.post(`/api/release-requests/${requestId}/fulfil`));
    expect(res.status).toBe(200);
    expect(res.body.packageUrl).toBe(`/api/release-requests/${requestId}/package`);
    const details = await u.him.get(`/api/release-requests/${requestId}`);
    expect(details.body).toMatchObject({ status: 'fulfilled', overdue: false, package: { url: res.body.packageUrl } });
  });

  it('audits the download as a read of each released version’s content with its purpose', async () => {
    const res = await u.auditor.get(`/api/records/${charts[1]}/accesses?after=${await headPosition(t.baseUrl)}`, purpose('audit'));
    expect(res.body.accesses).toEqual(expect.arrayContaining([expect.objectContaining({ actor: 'him1', purpose: 'patient-request', version: 1 })]));
  });

  it('requires a purpose of use for the package, and refuses it before fulfilment', async () => {
    expectProblem(await u.him.get(`/api/release-requests/${requestId}/package`), 400);
    const open = await newRequest([charts[1]]);
    expectProblem(await appendsNothing(() => u.him.get(`/api/release-requests/${open}/package`, purpose('patient-request'))), 409);
  });

  it('resumes a fulfilment interrupted after some releases: each record released once, with the same package', async () => {
    const id = await newRequest(charts);
    const records = t.app.get(RecordRepository, { strict: false });
    const execute = records.execute.bind(records);
    let releases = 0;
    const spy = jest.spyOn(records, 'execute').mockImplementation(async (command, context, revision) => {
      if (command.type === 'ReleaseRecord' && ++releases === 2) throw new Error('crash after the first release');
      return execute(command, context, revision);
    });
    try {
      expect((await u.him.post(`/api/release-requests/${id}/fulfil`)).status).toBe(500);
    } finally {
      spy.mockRestore();
    }
    const interrupted = await u.him.get(`/api/release-requests/${id}`);
    expect(interrupted.body).toMatchObject({ status: 'open', package: { sha256: expect.any(String) } });
    const again = await u.him.post(`/api/release-requests/${id}/fulfil`);
    expect(again.status).toBe(200);
    const done = await u.him.get(`/api/release-requests/${id}`);
    expect(done.body).toMatchObject({ status: 'fulfilled', package: interrupted.body.package });
    const res = await u.him.get(`/api/patients/${MRN}/disclosures?after=${await headPosition(t.baseUrl)}`, purpose('operations'));
    const ours = res.body.disclosures.filter((d: { releaseId: string }) => d.releaseId === id);
    expect(ours.map((d: { recordId: string }) => d.recordId).sort()).toEqual([...charts].sort());
    // On the records' own streams: one RecordReleased each under this request's id.
    for (const recordId of charts) {
      const { state } = await records.loadFromStore(recordId);
      expect(state.status !== 'absent' && state.releases.filter((r) => r === id)).toHaveLength(1);
    }
  });

  it('refuses a request whose authorization has expired (409, nothing appended)', async () => {
    const id = await newRequest(charts, { authorizationExpires: day(-1) });
    const res = await appendsNothing(() => u.him.post(`/api/release-requests/${id}/fulfil`));
    expectProblem(res, 409);
    expect(res.body.reason).toBe('authorization-expired');
  });

  it('refuses a record of another patient (409, nothing appended)', async () => {
    const other = await tinyRecord('MRN-OTHER-1');
    const id = await newRequest([charts[0], other]);
    const res = await appendsNothing(() => u.him.post(`/api/release-requests/${id}/fulfil`));
    expectProblem(res, 409);
    expect(res.body).toMatchObject({ reason: 'other-patient', recordIds: [other] });
    expect(JSON.stringify(res.body)).not.toContain('MRN-OTHER-1');
  });

  it('refuses a destroyed record (409, nothing appended)', async () => {
    const doomed = await tinyRecord(MRN);
    const id = await newRequest([charts[0], doomed]);
    expect((await approveAndDestroy(u, doomed)).status).toBe(200);
    const res = await appendsNothing(() => u.him.post(`/api/release-requests/${id}/fulfil`));
    expectProblem(res, 409);
    expect(res.body).toMatchObject({ reason: 'record-destroyed', recordIds: [doomed] });
  });

  it('shreds a package when a record it holds is destroyed: the download answers 410, the releases stay accounted for', async () => {
    const kept = await tinyRecord(MRN);
    const doomed = await tinyRecord(MRN);
    const id = await newRequest([kept, doomed]);
    expect((await u.him.post(`/api/release-requests/${id}/fulfil`)).status).toBe(200);
    const packageKey = (
      (await t.app.get<EventStore>(EVENT_STORE).readStream(`release-request-${id}`)).find((e) => e.type === 'ReleasePackageBuilt')!.data as {
        packageKey: string;
      }
    ).packageKey;
    const blobs = t.app.get<BlobStore>(BLOB_STORE);
    expect(await blobs.exists(packageKey)).toBe(true);

    expect((await approveAndDestroy(u, doomed)).status).toBe(200);
    const deadline = Date.now() + 15_000;
    let details = await u.him.get(`/api/release-requests/${id}`);
    while (!details.body.package?.shredded && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      details = await u.him.get(`/api/release-requests/${id}`);
    }
    expect(details.body).toMatchObject({ status: 'fulfilled', package: { shredded: { recordId: doomed, at: expect.any(String) } } });
    expect(await blobs.exists(packageKey)).toBe(false);
    const events = await t.app.get<EventStore>(EVENT_STORE).readStream(`release-request-${id}`);
    expect(events.map((e) => e.type)).toEqual(['ReleaseRequestReceived', 'ReleasePackageBuilt', 'ReleaseRequestFulfilled', 'ReleasePackageShredded']);
    expect(events[3].data).toMatchObject({
      recordId: doomed,
      packageKey,
      reason: 'record-destroyed',
      shreddedBy: expect.stringMatching(/^system:release-packages@/),
    });

    expectProblem(await u.him.get(`/api/release-requests/${id}/package`, purpose('patient-request')), 410);
    // The release of the record kept is still accounted for (164.528).
    const disclosures = await u.him.get(`/api/patients/${MRN}/disclosures?after=${await headPosition(t.baseUrl)}`, purpose('operations'));
    expect(disclosures.body.disclosures.filter((d: { releaseId: string }) => d.releaseId === id).map((d: { recordId: string }) => d.recordId)).toContain(kept);
  });

  it('denies a request with a reason, once', async () => {
    const id = await newRequest([charts[1]]);
    const res = await u.him.post(`/api/release-requests/${id}/deny`, { reason: 'Not the patient or a personal representative' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id, status: 'denied' });
    expectProblem(await appendsNothing(() => u.him.post(`/api/release-requests/${id}/deny`, { reason: 'again' })), 409);
    expectProblem(await appendsNothing(() => u.him.post(`/api/release-requests/${id}/fulfil`)), 409);
  });

  it('lists a request received 40 days ago as overdue, first', async () => {
    const late = await newRequest([charts[1]], { receivedAt: day(-40) });
    const after = await headPosition(t.baseUrl);
    const all = await u.him.get(`/api/release-requests?after=${after}`);
    expect(all.status).toBe(200);
    expect(all.body.requests[0]).toEqual({ id: late, mrn: MRN, status: 'open', receivedAt: day(-40), dueAt: day(-10), overdue: true });
    expect(all.body.requests.filter((r: { overdue: boolean }) => r.overdue)).toHaveLength(1);
    const overdue = await u.legal.get('/api/release-requests?overdue=true');
    expect(overdue.body.requests.map((r: { id: string }) => r.id)).toEqual([late]);
    const fulfilled = await u.auditor.get('/api/release-requests?status=fulfilled');
    expect(fulfilled.body.requests.map((r: { id: string }) => r.id)).toContain(requestId);
    expect(fulfilled.body.requests.every((r: { status: string }) => r.status === 'fulfilled')).toBe(true);
    expectProblem(await u.him.get('/api/release-requests?status=closed'), 400, 'status');
    expectProblem(await u.him.get('/api/release-requests?overdue=yes&sort=due'), 400, 'sort');
  });

  it('answers 404 for an unknown request', async () => {
    expectProblem(await appendsNothing(() => u.him.post(`/api/release-requests/${randomUUID()}/fulfil`)), 404);
    expectProblem(await u.him.get(`/api/release-requests/${randomUUID()}`), 404);
    expectProblem(await u.him.get(`/api/release-requests/not-a-uuid`), 400, 'id');
  });

  it.each([
    ['an unknown record', () => request([randomUUID()]), 'recordIds'],
    ['an impossible expiry date', () => request(charts, { authorizationExpires: '2024-13-01' }), 'authorizationExpires'],
    ['an impossible received date', () => request(charts, { receivedAt: '2024-02-30' }), 'receivedAt'],
    ['a received date in the future', () => request(charts, { receivedAt: day(2) }), 'receivedAt'],
    ['an unknown field', () => ({ ...request(charts), priority: 'high' }), 'priority'],
    ['a missing recipient', () => ({ ...request(charts), recipient: undefined }), 'recipient'],
    ['a missing MRN', () => ({ ...request(charts), mrn: undefined }), 'mrn'],
    ['no records', () => request([]), 'recordIds'],
  ])('refuses %s as problem+json, appending nothing', async (_what, body, field) => {
    expectProblem(await appendsNothing(() => u.him.post('/api/release-requests', body())), 400, field);
  });
});
