import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { EventSourcedRunner } from '@medrec/application';
import { SqliteEventStore } from '@medrec/event-store';
import { amendmentRequestDecider, amendmentRequestStream, RecordCommand, recordDecider, recordStream } from '@medrec/domain';
import { headPosition } from './support/configured-app';
import { SCANS, scanForm, scanManifest } from './support/fixtures';
import { approveAndDestroy, Client, purpose, Response, startApp, TestApp, usersByRole } from './support/harness';

/**
 * Patients' amendment requests over HTTP (45 CFR 164.526): received and due in 60 days; denied,
 * then the patient's disagreement and HIM's rebuttal, all three in the record's history; accepted,
 * with a new `patient-requested` version appended (the old one stays); overdue requests listed
 * first; every bad input, unknown id, destroyed record and wrong step refused with nothing appended.
 */

type Users = Awaited<ReturnType<typeof usersByRole>>;
let t: TestApp;
let u: Users;

const scans = scanManifest();
const radiology = scans.find((s) => s.file.endsWith('.png'))!;
const progressNote = scans.find((s) => s.file.endsWith('.jpg'))!;

beforeAll(async () => {
  t = await startApp(undefined, { MEDREC_OCR_IN_PROCESS: 'true' });
  u = await usersByRole(t.baseUrl);
});
afterAll(() => t?.close());

const DAY = 86_400_000;
const daysAgo = (n: number): string => new Date(Date.now() - n * DAY).toISOString().slice(0, 10);
const plusDays = (day: string, n: number): string => new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY).toISOString().slice(0, 10);

function expectProblem(res: Response, status: number, field?: string): void {
  expect({ status: res.status, body: res.body }).toMatchObject({ status });
  expect(res.contentType).toContain('application/problem+json');
  expect(res.body).toMatchObject({ type: expect.any(String), title: expect.any(String), status, detail: expect.any(String) });
  if (field) expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
}

/** The events of the record's own stream (its accesses, which reading them appends, are not counted). */
async function recordEventCount(recordId: string): Promise<number> {
  const res = await u.legal.get(`/api/records/${recordId}/events`, purpose('legal'));
  expect(res.status).toBe(200);
  return (res.body.events as Array<{ stream: string }>).filter((e) => e.stream === `record-${recordId}`).length;
}

/** Runs the call: the log's head does not move, and the record's own stream keeps its events. */
async function appendsNothing(recordId: string | null, run: () => Promise<Response>): Promise<Response> {
  const count = recordId ? await recordEventCount(recordId) : 0;
  const before = await headPosition(t.baseUrl);
  const res = await run();
  expect(await headPosition(t.baseUrl)).toBe(before);
  if (recordId) expect(await recordEventCount(recordId)).toBe(count);
  return res;
}

async function upload(client: Client = u.him): Promise<string> {
  const res = await client.request('POST', '/api/records', { form: scanForm(radiology, { allowDuplicate: 'true' }) });
  if (res.status !== 201) throw new Error(`fixture record: ${res.status} ${JSON.stringify(res.body)}`);
  // Recognised before the tests go on: a late OcrCompleted would move the log's head during a refusal.
  await waitForOcr(res.body.id, 1);
  return res.body.id;
}

async function request(recordId: string, receivedAt = daysAgo(3), requestedChange = 'Please record my penicillin allergy'): Promise<Response> {
  return u.him.post('/api/amendment-requests', { recordId, requestedChange, receivedAt });
}

async function newRequest(receivedAt?: string): Promise<{ recordId: string; id: string; position: number }> {
  const recordId = await upload();
  const res = await request(recordId, receivedAt);
  if (res.status !== 201) throw new Error(`fixture request: ${res.status} ${JSON.stringify(res.body)}`);
  return { recordId, id: res.body.id, position: res.body.position };
}

function acceptForm(fields: Record<string, string> = { reason: 'Allergy added at the patient’s request' }, file = true): FormData {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  if (file) form.append('file', new Blob([readFileSync(join(SCANS, progressNote.file))]), progressNote.file);
  return form;
}

const accept = (id: string, form = acceptForm()) => u.him.request('POST', `/api/amendment-requests/${id}/accept`, { form });

async function waitForOcr(recordId: string, version: number, timeoutMs = 90_000): Promise<{ status: string }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await u.him.get(`/api/records/${recordId}`, purpose('operations'));
    const ocr = res.body.versions?.[version - 1]?.ocr;
    if (ocr && ocr.status !== 'pending') return ocr;
    if (Date.now() > deadline) throw new Error(`OCR of ${recordId} v${version} still pending after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('a denied request, the patient’s disagreement and HIM’s rebuttal', () => {
  let recordId: string;
  let id: string;
  let position: number;
  const receivedAt = daysAgo(10);

  it('receives the request, due 60 days after its receipt, linked to the record', async () => {
    recordId = await upload();
    const res = await request(recordId, receivedAt);
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ id: expect.any(String), recordId, dueAt: plusDays(receivedAt, 60), position: expect.any(Number) });
    expect(res.headers.get('location')).toBe(`/api/amendment-requests/${res.body.id}`);
    id = res.body.id;
    const shown = await u.him.get(`/api/amendment-requests/${id}`);
    expect(shown.status).toBe(200);
    expect(shown.body).toEqual({
      id,
      recordId,
      status: 'received',
      receivedAt,
      dueAt: plusDays(receivedAt, 60),
      overdue: false,
      registeredBy: 'him1',
      registeredAt: expect.any(String),
      accepted: null,
      denied: null,
      disagreement: null,
      rebuttal: null,
    });
    // No PHI in the request's own answer.
    expect(JSON.stringify(shown.body)).not.toContain('penicillin');
  });

  it('denies it, then files the disagreement and the rebuttal, each attributed', async () => {
    const denied = await u.him.post(`/api/amendment-requests/${id}/deny`, { reason: 'The summary is accurate and complete as written' });
    expect(denied.status).toBe(200);
    expect(denied.body).toEqual({ id, status: 'denied', statementId: `${id}-denial`, position: expect.any(Number) });
    const disagreed = await u.him.post(`/api/amendment-requests/${id}/disagreement`, { statement: 'I told the admitting nurse about my allergy' });
    expect(disagreed.status).toBe(200);
    expect(disagreed.body).toMatchObject({ status: 'disagreement-filed', statementId: `${id}-disagreement` });
    const rebutted = await u.him.post(`/api/amendment-requests/${id}/rebuttal`, { statement: 'The admission note records no allergy' });
    expect(rebutted.status).toBe(200);
    expect(rebutted.body).toMatchObject({ status: 'rebuttal-filed', statementId: `${id}-rebuttal` });
    position = rebutted.body.position;

    const shown = (await u.him.get(`/api/amendment-requests/${id}`)).body;
    expect(shown).toMatchObject({
      status: 'rebuttal-filed',
      denied: { by: 'him1', at: expect.any(String), statementId: `${id}-denial` },
      disagreement: { by: 'him1', at: expect.any(String), statementId: `${id}-disagreement` },
      rebuttal: { by: 'him1', at: expect.any(String), statementId: `${id}-rebuttal` },
    });
  });

  it('shows the request, the denial, the disagreement and the rebuttal in the record’s history, with who and when', async () => {
    const res = await u.auditor.get(`/api/records/${recordId}/history?after=${position}`, purpose('audit'));
    expect(res.status).toBe(200);
    const entries = (res.body.timeline as Array<{ type: string; actor: string; at: string; summary: string; details: Record<string, unknown> }>).filter((e) =>
      e.type.startsWith('amendment-'),
    );
    expect(entries).toEqual([
      expect.objectContaining({
        type: 'amendment-requested',
        actor: 'him1',
        at: expect.any(String),
        details: expect.objectContaining({ requestId: id, receivedAt }),
      }),
      expect.objectContaining({
        type: 'amendment-statement',
        actor: 'him1',
        details: expect.objectContaining({ requestId: id, kind: 'denial', statement: 'The summary is accurate and complete as written' }),
      }),
      expect.objectContaining({
        type: 'amendment-statement',
        actor: 'him1',
        details: expect.objectContaining({ kind: 'disagreement', statement: 'I told the admitting nurse about my allergy' }),
      }),
      expect.objectContaining({
        type: 'amendment-statement',
        actor: 'him1',
        details: expect.objectContaining({ kind: 'rebuttal', statement: 'The admission note records no allergy' }),
      }),
    ]);
    expect(entries[0].summary).toContain('penicillin');
    for (const e of entries) expect(Date.parse(e.at)).toBeGreaterThan(Date.now() - 10 * 60_000);
  });

  it('keeps no PHI in clear: the requested change is sealed on both streams, the statements on the record', async () => {
    const store = new SqliteEventStore({ filename: join(t.dataDir, 'events.db') });
    const own = await store.readStream(`amendment-request-${id}`);
    const record = await store.readStream(`record-${recordId}`);
    await store.close();
    expect(own.map((e) => e.type)).toEqual(['AmendmentRequestRegistered', 'AmendmentRequestDenied', 'DisagreementStatementFiled', 'RebuttalStatementFiled']);
    expect(own[0].data.phi).toEqual(expect.stringMatching(/^v1\./));
    for (const text of ['penicillin', 'accurate and complete', 'admitting nurse', 'admission note']) {
      expect(JSON.stringify(own)).not.toContain(text);
      expect(JSON.stringify(record)).not.toContain(text);
    }
    expect(own.map((e) => e.metadata.actor)).toEqual(['him1', 'him1', 'him1', 'him1']);
  });

  it('refuses every step out of order, appending nothing (409)', async () => {
    expectProblem(await appendsNothing(recordId, () => u.him.post(`/api/amendment-requests/${id}/deny`, { reason: 'Again' })), 409);
    expectProblem(await appendsNothing(recordId, () => u.him.post(`/api/amendment-requests/${id}/disagreement`, { statement: 'Again' })), 409);
    expectProblem(await appendsNothing(recordId, () => u.him.post(`/api/amendment-requests/${id}/rebuttal`, { statement: 'Again' })), 409);
    expectProblem(await appendsNothing(recordId, () => accept(id)), 409);
  });
});

describe('an accepted request', () => {
  let recordId: string;
  let id: string;
  let original: Buffer;

  it('appends version 2 of kind patient-requested naming the request; version 1 stays readable', async () => {
    ({ recordId, id } = await newRequest());
    original = (await u.him.get(`/api/records/${recordId}/versions/1/content`, purpose('operations'))).raw;
    const res = await accept(id);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id, recordId, version: 2, revision: expect.any(Number), position: expect.any(Number), status: 'accepted' });
    expect(res.headers.get('etag')).toBe(`"${res.body.revision}"`);

    const record = await u.him.get(`/api/records/${recordId}`, purpose('operations'));
    expect(record.body.currentVersion).toBe(2);
    expect(record.body.versions.map((v: { version: number; kind: string; createdBy: string }) => [v.version, v.kind, v.createdBy])).toEqual([
      [1, 'original', 'him1'],
      [2, 'patient-requested', 'him1'],
    ]);
    const v1 = await u.him.get(`/api/records/${recordId}/versions/1/content`, purpose('operations'));
    expect(v1.status).toBe(200);
    expect(v1.raw.equals(original)).toBe(true);
    expect(v1.raw.equals(readFileSync(join(SCANS, radiology.file)))).toBe(true);
    const v2 = await u.him.get(`/api/records/${recordId}/versions/2/content`, purpose('operations'));
    expect(v2.raw.equals(readFileSync(join(SCANS, progressNote.file)))).toBe(true);

    expect((await u.him.get(`/api/amendment-requests/${id}`)).body).toMatchObject({
      status: 'accepted',
      accepted: { by: 'him1', at: expect.any(String), version: 2 },
    });
    const history = await u.auditor.get(`/api/records/${recordId}/history?after=${res.body.position}`, purpose('audit'));
    expect(history.body.timeline).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'amended', version: 2, details: expect.objectContaining({ kind: 'patient-requested', amendmentRequestId: id }) }),
      ]),
    );
  });

  it('OCRs the new version like any amendment', async () => {
    expect(await waitForOcr(recordId, 2)).toMatchObject({ status: 'done' });
    const text = await u.him.get(`/api/records/${recordId}/versions/2/text`, purpose('operations'));
    expect(text.body.pages.length).toBeGreaterThan(0);
  }, 120_000);

  it('nothing follows an acceptance (409), nothing appended', async () => {
    expectProblem(await appendsNothing(recordId, () => accept(id)), 409);
    expectProblem(await appendsNothing(recordId, () => u.him.post(`/api/amendment-requests/${id}/deny`, { reason: 'Changed our mind' })), 409);
    expectProblem(await appendsNothing(recordId, () => u.him.post(`/api/amendment-requests/${id}/disagreement`, { statement: 'x' })), 409);
  });

  it('accepts without a file: the version keeps the content', async () => {
    const other = await newRequest();
    const res = await accept(other.id, acceptForm({ reason: 'Title corrected', title: 'Radiology report (corrected)' }, false));
    expect(res.status).toBe(200);
    const record = await u.him.get(`/api/records/${other.recordId}`, purpose('operations'));
    expect(record.body).toMatchObject({ currentVersion: 2, title: 'Radiology report (corrected)' });
    expect(record.body.versions[1]).toMatchObject({ kind: 'patient-requested', sha256: record.body.versions[0].sha256 });
  });
});

describe('the list', () => {
  it('lists a request received 70 days ago as overdue, first', async () => {
    const fresh = await newRequest(daysAgo(2));
    const late = await newRequest(daysAgo(70));
    const all = await u.him.get(`/api/amendment-requests?after=${late.position}`);
    expect(all.status).toBe(200);
    expect(all.body.requests[0]).toEqual({
      id: late.id,
      recordId: late.recordId,
      status: 'received',
      receivedAt: daysAgo(70),
      dueAt: plusDays(daysAgo(70), 60),
      overdue: true,
    });
    expect(all.body.requests).toEqual(expect.arrayContaining([expect.objectContaining({ id: fresh.id, overdue: false })]));
    expect(all.body.requests.filter((r: { overdue: boolean }) => r.overdue).map((r: { id: string }) => r.id)).toEqual([late.id]);

    const overdue = await u.him.get('/api/amendment-requests?overdue=true');
    expect(overdue.body.requests.map((r: { id: string }) => r.id)).toEqual([late.id]);
    expect((await u.him.get(`/api/amendment-requests/${late.id}`)).body).toMatchObject({ overdue: true });

    const accepted = await u.him.get('/api/amendment-requests?status=accepted');
    expect(accepted.body.requests.length).toBeGreaterThan(0);
    for (const r of accepted.body.requests) expect(r).toMatchObject({ status: 'accepted', overdue: false });
    const rebutted = await u.him.get('/api/amendment-requests?status=rebuttal-filed&overdue=false');
    expect(rebutted.body.requests).toHaveLength(1);
  });
});

describe('bad input, unknown ids, destroyed records: refused, nothing appended', () => {
  let recordId: string;
  let id: string;

  beforeAll(async () => {
    ({ recordId, id } = await newRequest());
  });

  it('refuses a bad request body (400, naming the field)', async () => {
    const good = { recordId: '', requestedChange: 'Please record my allergy', receivedAt: daysAgo(1) };
    for (const [overrides, field] of [
      [{ receivedAt: '2024-13-01' }, 'receivedAt'],
      [{ receivedAt: '2024-02-30' }, 'receivedAt'],
      [{ receivedAt: '2024-3-01' }, 'receivedAt'],
      [{ receivedAt: daysAgo(-2) }, 'receivedAt'],
      [{ receivedAt: undefined }, 'receivedAt'],
      [{ requestedChange: '   ' }, 'requestedChange'],
      [{ requestedChange: 'x'.repeat(5001) }, 'requestedChange'],
      [{ requestedChange: 42 }, 'requestedChange'],
      [{ recordId: 'not-a-uuid' }, 'recordId'],
      [{ mrn: 'MRN-1' }, 'mrn'],
    ] as const) {
      const body = { ...good, recordId, ...overrides };
      expectProblem(await appendsNothing(recordId, () => u.him.post('/api/amendment-requests', body)), 400, field);
    }
  });

  it('refuses a request for an unknown record (404) or a destroyed one (410)', async () => {
    expectProblem(await appendsNothing(null, () => request(randomUUID())), 404);
    const doomed = await newRequest();
    expect((await approveAndDestroy(u, doomed.recordId)).status).toBe(200);
    const gone = await appendsNothing(null, () => request(doomed.recordId));
    expectProblem(gone, 410);
    expect(gone.body).toMatchObject({ recordStatus: 'destroyed' });
    // The request of a destroyed record can no longer be answered.
    expectProblem(await appendsNothing(null, () => u.him.post(`/api/amendment-requests/${doomed.id}/deny`, { reason: 'x' })), 410);
    expectProblem(await appendsNothing(null, () => accept(doomed.id)), 410);
  });

  it('refuses bad statements and unknown fields (400)', async () => {
    for (const [path, body, field] of [
      ['deny', { reason: '' }, 'reason'],
      ['deny', { reason: ' \n ' }, 'reason'],
      ['deny', { reason: 'x'.repeat(5001) }, 'reason'],
      ['deny', {}, 'reason'],
      ['deny', { reason: 'Accurate', statement: 'x' }, 'statement'],
      ['disagreement', { statement: '' }, 'statement'],
      ['disagreement', { statement: 'x'.repeat(5001) }, 'statement'],
      ['rebuttal', { statement: 'ok', reason: 'x' }, 'reason'],
    ] as const) {
      expectProblem(await appendsNothing(recordId, () => u.him.post(`/api/amendment-requests/${id}/${path}`, body)), 400, field);
    }
    for (const [form, field] of [
      [acceptForm({ kind: 'correction', reason: 'x' }), 'kind'],
      [acceptForm({}), 'reason'],
      [acceptForm({ reason: 'x', encounterDate: '2024-13-01' }), 'encounterDate'],
      [acceptForm({ reason: 'x', documentType: 'x-ray' }), 'documentType'],
      [acceptForm({ reason: 'x', amendmentRequestId: randomUUID() }), 'amendmentRequestId'],
    ] as const) {
      expectProblem(await appendsNothing(recordId, () => accept(id, form)), 400, field);
    }
    expectProblem(await appendsNothing(null, () => u.him.get('/api/amendment-requests?overdue=yes')), 400, 'overdue');
    expectProblem(await appendsNothing(null, () => u.him.get('/api/amendment-requests?status=open')), 400, 'status');
    expectProblem(await appendsNothing(null, () => u.him.get('/api/amendment-requests/not-a-uuid')), 400, 'id');
    expectProblem(await appendsNothing(null, () => u.him.post('/api/amendment-requests/not-a-uuid/deny', { reason: 'x' })), 400, 'id');
    expect((await u.him.get(`/api/amendment-requests/${id}`)).body.status).toBe('received');
  });

  it('refuses an unknown request (404) and a wrong step (409)', async () => {
    const unknown = randomUUID();
    expectProblem(await appendsNothing(null, () => u.him.get(`/api/amendment-requests/${unknown}`)), 404);
    for (const path of ['deny', 'disagreement', 'rebuttal']) {
      expectProblem(
        await appendsNothing(null, () => u.him.post(`/api/amendment-requests/${unknown}/${path}`, path === 'deny' ? { reason: 'x' } : { statement: 'x' })),
        404,
      );
    }
    expectProblem(await appendsNothing(null, () => accept(unknown)), 404);
    // A disagreement before a denial, a rebuttal before a disagreement.
    expectProblem(await appendsNothing(recordId, () => u.him.post(`/api/amendment-requests/${id}/disagreement`, { statement: 'I disagree' })), 409);
    expectProblem(await appendsNothing(recordId, () => u.him.post(`/api/amendment-requests/${id}/rebuttal`, { statement: 'It stands' })), 409);
    // Accept after a denial.
    expect((await u.him.post(`/api/amendment-requests/${id}/deny`, { reason: 'Accurate as written' })).status).toBe(200);
    expectProblem(await appendsNothing(recordId, () => accept(id)), 409);
    expectProblem(await appendsNothing(recordId, () => u.him.post(`/api/amendment-requests/${id}/rebuttal`, { statement: 'It stands' })), 409);
  });
});

describe('a step interrupted between the two streams is finished by its next call', () => {
  const actor = { userId: randomUUID(), username: 'him1', role: 'him' as const };
  const contextNow = () => ({ actor, correlationId: randomUUID(), at: new Date().toISOString() });
  /** Appends to the record's stream as the server's steps do (the record's own endpoints cannot name a request). */
  const onRecord = (command: RecordCommand, context: ReturnType<typeof contextNow>) =>
    t.app.get(EventSourcedRunner).run({ stream: recordStream(command.recordId), keyId: command.recordId, decider: recordDecider, command, context });
  const statements = async (recordId: string) => {
    const res = await u.legal.get(`/api/records/${recordId}/events`, purpose('legal'));
    return (res.body.events as Array<{ type: string; data: Record<string, unknown> }>).filter((e) => e.type.startsWith('Amendment'));
  };

  it('a request registered but not yet linked to its record is linked by its next step', async () => {
    const recordId = await upload();
    const requestId = randomUUID();
    const context = contextNow();
    // The process died after the request's own stream, before the record's link.
    await t.app.get(EventSourcedRunner).run({
      stream: amendmentRequestStream(requestId),
      keyId: recordId,
      decider: amendmentRequestDecider,
      command: { type: 'RegisterAmendmentRequest', requestId, recordId, actor, at: context.at, requestedChange: 'Add my allergy', receivedAt: daysAgo(1) },
      context,
    });
    expect(await statements(recordId)).toEqual([]);
    const denied = await u.him.post(`/api/amendment-requests/${requestId}/deny`, { reason: 'Accurate as written' });
    expect(denied.status).toBe(200);
    expect((await statements(recordId)).map((e) => [e.type, e.data.requestedChange ?? e.data.kind])).toEqual([
      ['AmendmentRequestReceived', 'Add my allergy'],
      ['AmendmentStatementFiled', 'denial'],
    ]);
  });

  it('a denial filed on the record but not on the request is finished by denying again, filed once', async () => {
    const { recordId, id } = await newRequest();
    const context = contextNow();
    // The process died after the record's statement, before the request's step.
    await onRecord(
      { type: 'FileAmendmentStatement', recordId, actor, at: context.at, requestId: id, statementId: `${id}-denial`, kind: 'denial', statement: 'First try' },
      context,
    );
    expect((await u.him.get(`/api/amendment-requests/${id}`)).body.status).toBe('received');
    const again = await u.him.post(`/api/amendment-requests/${id}/deny`, { reason: 'Second try' });
    expect(again.status).toBe(200);
    expect((await u.him.get(`/api/amendment-requests/${id}`)).body.status).toBe('denied');
    // The record keeps the statement it had: appended, never replaced.
    expect((await statements(recordId)).filter((e) => e.type === 'AmendmentStatementFiled').map((e) => e.data.statement)).toEqual(['First try']);
    // And the record refuses a version answering the denied request.
    expectProblem(await appendsNothing(recordId, () => accept(id)), 409);
  });

  it('a version appended for the request but not yet on the request is reused by accepting again', async () => {
    const { recordId, id } = await newRequest();
    const context = contextNow();
    await onRecord(
      { type: 'AmendRecord', recordId, actor, at: context.at, kind: 'patient-requested', reason: 'Allergy added', amendmentRequestId: id },
      context,
    );
    const accepted = await accept(id, acceptForm({ reason: 'Allergy added' }, false));
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({ version: 2, status: 'accepted' });
    expect((await u.him.get(`/api/records/${recordId}`, purpose('operations'))).body.currentVersion).toBe(2);
  });
});
