import Database from '@medrec/sqlite';
import { dirname, join } from 'node:path';
import { importEsm } from '@medrec/ingest/esm';
import { minimalPdf } from '@medrec/ingest/rasterize/testing/minimal-pdf';
import { REPORT_PAGE_SIZE } from '../../apps/api/src/history/history-report';
import { headPosition } from './support/configured-app';
import { approveAndDestroy, purpose, recordForm, Response, startApp, TestApp, usersByRole } from './support/harness';

/**
 * The legal history report over HTTP: a record with two versions, a release, a hold placed and
 * lifted and some reads; the report as a PDF (its text read back with pdfjs-dist) and as JSON holds
 * the record's identity, every version's SHA-256, the full timeline and the chain's verdict with the
 * head hash and the time of verification. Tampering with an event makes it say the chain is broken.
 * The report is itself an audited read, for the purpose legal.
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

const pdf = (...lines: string[]) => minimalPdf([{ widthPt: 612, heightPt: 792, lines }]);
const PDF_ACCEPT = { accept: 'application/pdf' };
const JSON_ACCEPT = { accept: 'application/json' };

interface PdfJs {
  getDocument(options: { data: Uint8Array; isEvalSupported: boolean; useSystemFonts: boolean; standardFontDataUrl: string }): {
    promise: Promise<{ numPages: number; getPage(n: number): Promise<{ getTextContent(): Promise<{ items: Array<{ str?: string; hasEOL?: boolean }> }> }> }>;
  };
}

/** The PDF's text, page by page, as pdf.js reads it (one line per text line). */
async function pdfText(bytes: Buffer): Promise<string> {
  const pdfjs = await importEsm<PdfJs>('pdfjs-dist/legacy/build/pdf.mjs');
  const standardFontDataUrl = join(dirname(require.resolve('pdfjs-dist/package.json')), 'standard_fonts') + '/';
  const doc = await pdfjs.getDocument({ data: new Uint8Array(bytes), isEvalSupported: false, useSystemFonts: false, standardFontDataUrl }).promise;
  let text = '';
  for (let n = 1; n <= doc.numPages; n++) {
    const content = await (await doc.getPage(n)).getTextContent();
    for (const item of content.items) text += `${item.str ?? ''}${item.hasEOL ? '\n' : ''}`;
    text += '\n';
  }
  return text;
}

async function chart(): Promise<string> {
  const mrn = `HR-${++seq}`;
  const res = await u.clerk.request('POST', '/api/records', {
    form: recordForm({ mrn }, pdf('Operative report of a fictional patient', `chart ${seq}`), 'op.pdf'),
  });
  if (res.status !== 201) throw new Error(`fixture record: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

/** A record with a history: a corrected version with new content, a release, a hold placed and lifted, reads. */
async function recordWithHistory(): Promise<string> {
  const id = await chart();
  const form = new FormData();
  form.append('kind', 'correction');
  form.append('reason', 'Wrong laterality corrected');
  form.append('file', new Blob([pdf('Operative report of a fictional patient', 'corrected', String(seq))]), 'op.pdf');
  expect((await u.him.request('POST', `/api/records/${id}/amendments`, { form })).status).toBe(201);
  const release = await u.him.post(`/api/records/${id}/releases`, {
    recipient: { name: 'Dr. Ellen Sattler' },
    purpose: 'continuing care',
    authorizationReference: 'AUTH-2024-117',
    description: 'Operative report',
  });
  expect(release.status).toBe(201);
  const hold = await u.legal.post(`/api/records/${id}/holds`, { matter: 'Doe v. County Hospital', reason: 'Preservation notice' });
  expect(hold.status).toBe(201);
  expect((await u.legal.request('DELETE', `/api/records/${id}/holds/${hold.body.holdId}`)).status).toBe(204);
  expect((await u.clinician.get(`/api/records/${id}`, purpose('treatment'))).status).toBe(200);
  return id;
}

function expectProblem(res: Response, status: number): void {
  expect(res.status).toBe(status);
  expect(res.contentType).toContain('application/problem+json');
}

async function appendsNothing(call: () => Promise<Response>): Promise<Response> {
  const before = await headPosition(t.baseUrl);
  const res = await call();
  expect(await headPosition(t.baseUrl)).toBe(before);
  return res;
}

it('as a PDF: identity, every version with its SHA-256, the timeline, the verdict with head hash and time; the same content as JSON', async () => {
  const id = await recordWithHistory();
  const record = (await u.him.get(`/api/records/${id}`, purpose('operations'))).body;
  const shas: string[] = record.versions.map((v: { sha256: string }) => v.sha256);
  expect(new Set(shas).size).toBe(2);

  const asJson = await u.legal.get(`/api/records/${id}/history/report`, JSON_ACCEPT);
  expect(asJson.status).toBe(200);
  expect(asJson.contentType).toContain('application/json');
  expect(asJson.headers.get('cache-control')).toBe('no-store');
  const report = asJson.body;
  expect(report).toMatchObject({
    report: 'legal-history',
    purpose: 'legal',
    generatedBy: { actor: 'legal1', role: 'legal' },
    record: {
      id,
      mrn: record.mrn,
      patientName: 'Jane Example',
      dateOfBirth: '1961-04-12',
      documentType: 'discharge-summary',
      title: 'Discharge summary after appendectomy',
      currentVersion: 2,
    },
    chain: { valid: true, headHash: expect.stringMatching(/^[0-9a-f]{64}$/), verifiedAt: expect.any(String) },
  });
  expect(report.versions).toEqual([
    expect.objectContaining({ version: 1, kind: 'original', createdBy: 'clerk1', sha256: shas[0], pages: 1 }),
    expect.objectContaining({ version: 2, kind: 'correction', reason: 'Wrong laterality corrected', createdBy: 'him1', sha256: shas[1], pages: 1 }),
  ]);
  expect(report.chain.streams).toEqual([
    { stream: `record-${id}`, events: 5, headRevision: 4, headHash: report.chain.headHash },
    { stream: `record-access-${id}`, events: expect.any(Number), headRevision: expect.any(Number), headHash: expect.stringMatching(/^[0-9a-f]{64}$/) },
  ]);
  const types = report.timeline.map((e: { type: string }) => e.type);
  expect(types).toEqual(['created', 'amended', 'released', 'hold-placed', 'hold-lifted', 'accessed', 'accessed', 'accessed']);
  // The timeline ends with the report's own read.
  expect(report.timeline[report.timeline.length - 1]).toMatchObject({ type: 'accessed', actor: 'legal1', purpose: 'legal', details: { what: 'report' } });

  const asPdf = await u.legal.get(`/api/records/${id}/history/report`, PDF_ACCEPT);
  expect(asPdf.status).toBe(200);
  expect(asPdf.contentType).toBe('application/pdf');
  expect(asPdf.headers.get('content-disposition')).toBe(`attachment; filename="history-report-${id}.pdf"`);
  expect(asPdf.raw.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  const text = await pdfText(asPdf.raw);
  for (const sha of shas) expect(text).toContain(sha);
  expect(text).toContain('Verdict: VALID');
  // Accesses go to their own stream: the record's head is the one the JSON report gave.
  expect(text).toContain(`Head hash: ${report.chain.headHash}`);
  expect(text).toMatch(/Verified at: \d{4}-\d{2}-\d{2}T/);
  for (const fact of [
    id,
    record.mrn,
    'Jane Example',
    '1961-04-12',
    'discharge-summary',
    'Discharge summary after appendectomy',
    'Wrong laterality corrected',
  ]) {
    expect(text).toContain(fact);
  }
  for (const type of ['created', 'amended', 'released', 'hold-placed', 'hold-lifted', 'accessed']) expect(text).toContain(` ${type} `);
  expect(text).toContain('Dr. Ellen Sattler');
  expect(text).toContain('End of timeline: 9 entries.');
});

it('is audited as a read for the purpose legal (what: report), whichever permitted role asks', async () => {
  const id = await chart();
  expect((await u.auditor.get(`/api/records/${id}/history/report`, JSON_ACCEPT)).status).toBe(200);
  expect((await u.him.get(`/api/records/${id}/history/report`, PDF_ACCEPT)).status).toBe(200);
  const accesses = await u.auditor.get(`/api/records/${id}/accesses`, purpose('audit'));
  expect(accesses.body.accesses.slice(0, 2)).toEqual([
    expect.objectContaining({ actor: 'auditor1', role: 'auditor', purpose: 'legal', what: 'report', version: null }),
    expect.objectContaining({ actor: 'him1', role: 'him', purpose: 'legal', what: 'report', version: null }),
  ]);
});

it('answers 406 for any other Accept, and 404/410 as the other reads, appending nothing', async () => {
  const id = await chart();
  for (const accept of ['text/html', 'text/csv', 'image/png']) {
    expectProblem(await appendsNothing(() => u.legal.get(`/api/records/${id}/history/report`, { accept })), 406);
  }
  expectProblem(await appendsNothing(() => u.legal.get('/api/records/7c1d9e2f-3a4b-4c5d-8e6f-0a1b2c3d4e5f/history/report', JSON_ACCEPT)), 404);
  expectProblem(await appendsNothing(() => u.legal.get('/api/records/not-a-uuid/history/report', JSON_ACCEPT)), 400);
  const gone = await chart();
  expect((await approveAndDestroy(u, gone)).status).toBe(200);
  const res = await appendsNothing(() => u.legal.get(`/api/records/${gone}/history/report`, PDF_ACCEPT));
  expectProblem(res, 410);
  expect(res.body).toMatchObject({ id: gone, recordStatus: 'destroyed' });
});

it('says the chain is broken once an event was tampered with, in the PDF and the JSON', async () => {
  const id = await recordWithHistory();
  const events = new Database(join(t.dataDir, 'events.db'));
  try {
    // Change a clear field of the release (as an insider editing the database would).
    const released = events.prepare('SELECT position, revision, data FROM events WHERE stream = ? AND type = ?').get(`record-${id}`, 'RecordReleased') as {
      position: number;
      revision: number;
      data: string;
    };
    const data = JSON.parse(released.data);
    data.versions = [1];
    events.prepare('UPDATE events SET data = ? WHERE position = ?').run(JSON.stringify(data), released.position);

    const report = (await u.legal.get(`/api/records/${id}/history/report`, JSON_ACCEPT)).body;
    expect(report.chain).toMatchObject({
      valid: false,
      brokenAt: { stream: `record-${id}`, revision: released.revision, position: released.position, reason: 'hash-mismatch' },
      headHash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    const text = await pdfText((await u.legal.get(`/api/records/${id}/history/report`, PDF_ACCEPT)).raw);
    expect(text).toContain(`Verdict: BROKEN: record-${id} at revision ${released.revision}`);
    expect(text).toContain('hash-mismatch');
    expect(text).not.toContain('Verdict: VALID');
  } finally {
    events.close();
  }
});

it('pages through a long timeline (more entries than one internal page): every entry once, in log order, ending with the report', async () => {
  const id = await chart();
  const reads = REPORT_PAGE_SIZE + 100;
  for (let i = 0; i < reads; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, reads - i) }, () => u.clerk.get(`/api/records/${id}`, purpose('operations'))));
  }
  const report = (await u.auditor.get(`/api/records/${id}/history/report`, JSON_ACCEPT)).body;
  expect(report.timeline).toHaveLength(1 + reads + 1);
  const positions = report.timeline.map((e: { position: number }) => e.position);
  expect(positions).toEqual([...positions].sort((a, b) => a - b));
  expect(new Set(positions).size).toBe(positions.length);
  expect(report.chain).toMatchObject({ valid: true, streams: [expect.objectContaining({ events: 1 }), expect.objectContaining({ events: reads + 1 })] });
  expect(report.timeline[report.timeline.length - 1]).toMatchObject({ type: 'accessed', details: { what: 'report' } });
  const text = await pdfText((await u.auditor.get(`/api/records/${id}/history/report`, PDF_ACCEPT)).raw);
  expect(text).toContain(`End of timeline: ${1 + reads + 2} entries.`);
}, 90_000);
