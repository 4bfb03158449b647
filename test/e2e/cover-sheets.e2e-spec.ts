import { dirname, join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { KEY_STORE, KeyStore } from '@medrec/crypto';
import { EVENT_STORE, EventStore } from '@medrec/event-store';
import { coverSheetAccessStream, coverSheetStream } from '@medrec/domain';
import { importEsm } from '@medrec/ingest/esm';
import { decodeSheetCodes } from '@medrec/ingest/qr';
import { CoverSheets } from '../../apps/api/src/cover-sheets/cover-sheets.service';
import { renderPdfPage } from '../support/scanner-stack';
import { headPosition } from './support/configured-app';
import { Client, purpose, Response, startApp, TestApp, usersByRole } from './support/harness';

/**
 * Cover sheets over HTTP: printed as a PDF whose text holds the details and whose QR code, read
 * back from the rendered page, gives the sheet's id and nothing else; read back (audited) by the
 * roles that may; a CSV of a clinic's day printed as one PDF, or refused whole with the rows named;
 * the separator sheet; a used sheet's details shredded; and a sheet printed by mistake voided.
 */

type Users = Awaited<ReturnType<typeof usersByRole>>;
let t: TestApp;
let u: Users;

beforeAll(async () => {
  t = await startApp();
  u = await usersByRole(t.baseUrl);
});
afterAll(() => t?.close());

const SHEET = {
  mrn: 'MRN-00482913',
  patientName: 'Zoë Łukasiewicz-Núñez',
  dateOfBirth: '1961-04-17',
  documentType: 'discharge-summary',
  title: 'Discharge after CABG',
  encounterDate: '2024-03-01',
};

interface PdfJs {
  getDocument(options: { data: Uint8Array; isEvalSupported: boolean; useSystemFonts: boolean; standardFontDataUrl: string }): {
    promise: Promise<{ numPages: number; getPage(n: number): Promise<{ getTextContent(): Promise<{ items: Array<{ str?: string; hasEOL?: boolean }> }> }> }>;
  };
}

/** The text of each page of a PDF, as pdf.js reads it. */
async function pdfPages(bytes: Buffer): Promise<string[]> {
  const pdfjs = await importEsm<PdfJs>('pdfjs-dist/legacy/build/pdf.mjs');
  const standardFontDataUrl = join(dirname(require.resolve('pdfjs-dist/package.json')), 'standard_fonts') + '/';
  const doc = await pdfjs.getDocument({ data: new Uint8Array(bytes), isEvalSupported: false, useSystemFonts: false, standardFontDataUrl }).promise;
  const pages: string[] = [];
  for (let n = 1; n <= doc.numPages; n++) {
    const content = await (await doc.getPage(n)).getTextContent();
    pages.push(content.items.map((item) => `${item.str ?? ''}${item.hasEOL ? '\n' : ' '}`).join(''));
  }
  return pages;
}

const codesOf = async (pdf: Buffer, page = 1) => decodeSheetCodes(await renderPdfPage(pdf, page));

function csvForm(csv: string): FormData {
  const form = new FormData();
  form.append('file', new Blob([csv], { type: 'text/csv' }), 'clinic-day.csv');
  return form;
}

function expectProblem(res: Response, status: number): void {
  expect(res.status).toBe(status);
  expect(res.contentType).toContain('application/problem+json');
}

describe('POST /api/cover-sheets', () => {
  it('prints the sheet: the details in its text, only the id in its QR code; the id in Location and X-Cover-Sheet-Id', async () => {
    const res = await u.clerk.post('/api/cover-sheets', SHEET);
    expect(res.status).toBe(201);
    expect(res.contentType).toBe('application/pdf');
    const id = res.headers.get('x-cover-sheet-id')!;
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(res.headers.get('location')).toBe(`/api/cover-sheets/${id}`);

    const [text, ...more] = await pdfPages(res.raw);
    expect(more).toHaveLength(0);
    for (const value of [SHEET.patientName, SHEET.mrn, SHEET.dateOfBirth, 'discharge summary', SHEET.title, SHEET.encounterDate]) expect(text).toContain(value);
    // The same code twice (top right, bottom left): one stain or tear does not take both.
    expect(await codesOf(res.raw)).toEqual([
      { kind: 'cover-sheet', id },
      { kind: 'cover-sheet', id },
    ]);
  });

  it('seals the details in the event store: none of them in clear', async () => {
    const res = await u.him.post('/api/cover-sheets', SHEET);
    expect(res.status).toBe(201);
    const [issued] = await t.app.get<EventStore>(EVENT_STORE).readStream(coverSheetStream(res.headers.get('x-cover-sheet-id')!));
    expect(issued.type).toBe('CoverSheetIssued');
    const stored = JSON.stringify(issued);
    for (const value of [SHEET.mrn, SHEET.patientName, SHEET.dateOfBirth, SHEET.title, SHEET.encounterDate]) expect(stored).not.toContain(value);
    expect(issued.data).toMatchObject({ documentType: 'discharge-summary', phi: expect.anything() });
  });

  it.each([
    ['an MRN with spaces', { mrn: 'MRN 1' }, 'mrn'],
    ['an impossible date of birth', { dateOfBirth: '1961-02-30' }, 'dateOfBirth'],
    ['an unknown document type', { documentType: 'x-ray' }, 'documentType'],
    ['an encounter date in another format', { encounterDate: '03/01/2024' }, 'encounterDate'],
    ['a field that is not taken', { ward: '7B' }, 'ward'],
  ])('refuses %s with a problem naming the field, and issues nothing', async (_what, change, field) => {
    const before = await headPosition(t.baseUrl);
    const res = await u.clerk.post('/api/cover-sheets', { ...SHEET, ...change });
    expectProblem(res, 400);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    expect(JSON.stringify(res.body)).not.toContain(SHEET.patientName);
    expect(await headPosition(t.baseUrl)).toBe(before);
  });

  it('is for clerks and HIM only', async () => {
    for (const role of ['clinician', 'legal', 'archivist', 'auditor', 'admin'] as const) expectProblem(await u[role].post('/api/cover-sheets', SHEET), 403);
    expectProblem(await new Client(t.baseUrl).post('/api/cover-sheets', SHEET), 401);
  });
});

describe('GET /api/cover-sheets/:id', () => {
  it('gives the details back to a clerk, after recording the read with its purpose', async () => {
    const id = (await u.clerk.post('/api/cover-sheets', SHEET)).headers.get('x-cover-sheet-id')!;
    const res = await u.clerk.get(`/api/cover-sheets/${id}`, purpose('operations'));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id, status: 'issued', ...SHEET, issuedBy: 'clerk1' });
    const accesses = await t.app.get<EventStore>(EVENT_STORE).readStream(coverSheetAccessStream(id));
    expect(accesses.map((e) => [e.type, e.data.accessedBy, e.data.purpose])).toEqual([['CoverSheetAccessed', 'clerk1', 'operations']]);
    expect(res.body.position).toBeGreaterThanOrEqual(accesses[0].position);
  });

  it('asks for a purpose of use, refuses other roles, and answers 404 for an unknown sheet', async () => {
    const id = (await u.clerk.post('/api/cover-sheets', SHEET)).headers.get('x-cover-sheet-id')!;
    expectProblem(await u.clerk.get(`/api/cover-sheets/${id}`), 400);
    expectProblem(await u.clinician.get(`/api/cover-sheets/${id}`, purpose('treatment')), 403);
    expectProblem(await u.him.get(`/api/cover-sheets/${randomUUID()}`, purpose('operations')), 404);
    expectProblem(await u.him.get('/api/cover-sheets/not-an-id', purpose('operations')), 400);
    expect(await t.app.get<EventStore>(EVENT_STORE).readStream(coverSheetAccessStream(id))).toEqual([]);
  });

  it("shows a used sheet's record, its details shredded with its key", async () => {
    const id = (await u.clerk.post('/api/cover-sheets', SHEET)).headers.get('x-cover-sheet-id')!;
    const recordId = randomUUID();
    const sheets = t.app.get(CoverSheets);
    const context = { actor: { userId: randomUUID(), username: 'clerk1', role: 'clerk' as const }, correlationId: randomUUID(), at: new Date().toISOString() };
    await sheets.use(id, recordId, context);
    await expect(sheets.use(id, randomUUID(), context)).rejects.toMatchObject({ kind: 'conflict' });
    const res = await u.him.get(`/api/cover-sheets/${id}`, purpose('operations'));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id, status: 'used', recordId, mrn: null, patientName: null, dateOfBirth: null, documentType: 'discharge-summary' });
  });
});

describe('POST /api/cover-sheets/batch', () => {
  const header = 'mrn,patientName,dateOfBirth,documentType,title,encounterDate';

  it("prints a clinic's day as one PDF, a sheet a row in order, each QR code giving its row's sheet", async () => {
    const csv = [
      header,
      'MRN-1001,Ada Lovelace,1915-12-10,progress-note,,',
      'MRN-1002,"Grace Hopper, Jr.",1906-12-09,lab-report,Blood panel,2024-05-02',
      'MRN-1003,Alan Turing,1912-06-23,radiology-report,,',
    ].join('\n');
    const res = await u.clerk.request('POST', '/api/cover-sheets/batch', { form: csvForm(csv) });
    expect(res.status).toBe(201);
    expect(res.contentType).toBe('application/pdf');
    const ids = res.headers.get('x-cover-sheet-ids')!.split(',');
    expect(ids).toHaveLength(3);
    const pages = await pdfPages(res.raw);
    expect(pages).toHaveLength(3);
    expect(pages[0]).toContain('Ada Lovelace');
    expect(pages[1]).toContain('Grace Hopper, Jr.');
    expect(pages[1]).toContain('Blood panel');
    expect(pages[2]).toContain('MRN-1003');
    for (const [i, id] of ids.entries()) {
      expect(await codesOf(res.raw, i + 1)).toEqual([
        { kind: 'cover-sheet', id },
        { kind: 'cover-sheet', id },
      ]);
    }
    const second = await u.him.get(`/api/cover-sheets/${ids[1]}`, purpose('operations'));
    expect(second.body).toMatchObject({ mrn: 'MRN-1002', title: 'Blood panel', batchId: res.headers.get('x-cover-sheet-batch-id') });
  });

  it('refuses the whole list when a row is invalid, naming the rows, and issues nothing', async () => {
    const csv = [
      header,
      'MRN-2001,Ada Lovelace,1915-12-10,progress-note,,',
      'MRN 2002,Grace Hopper,1906-12-09,lab-report,,',
      'MRN-2003,Alan Turing,1912-06-23,radiology-report,,',
      'MRN-2004,Edsger Dijkstra,1930-02-31,x-ray,,',
    ].join('\n');
    const before = await headPosition(t.baseUrl);
    const res = await u.clerk.request('POST', '/api/cover-sheets/batch', { form: csvForm(csv) });
    expectProblem(res, 400);
    expect(res.body.rows).toEqual([3, 5]);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['row 3: mrn', 'row 5: dateOfBirth', 'row 5: documentType']);
    expect(res.body.detail).toContain('row 3');
    expect(JSON.stringify(res.body)).not.toMatch(/Grace|Dijkstra|MRN 2002/);
    expect(await headPosition(t.baseUrl)).toBe(before);
  });

  it.each([
    ['an unknown column', 'mrn,patientName,dateOfBirth,documentType,ward\nMRN-3001,Ada Lovelace,1915-12-10,progress-note,7B'],
    ['a missing column', 'mrn,patientName,documentType\nMRN-3001,Ada Lovelace,progress-note'],
    ['rows of different lengths', `${header}\nMRN-3001,Ada Lovelace`],
    ['only a header', header],
  ])('refuses a CSV with %s', async (_what, csv) => {
    const before = await headPosition(t.baseUrl);
    expectProblem(await u.him.request('POST', '/api/cover-sheets/batch', { form: csvForm(csv) }), 400);
    expect(await headPosition(t.baseUrl)).toBe(before);
  });

  it('refuses a request without the file, and other roles', async () => {
    expectProblem(await u.clerk.request('POST', '/api/cover-sheets/batch', { form: new FormData() }), 400);
    expectProblem(
      await u.legal.request('POST', '/api/cover-sheets/batch', { form: csvForm(`${header}\nMRN-4001,Ada Lovelace,1915-12-10,progress-note,,`) }),
      403,
    );
  });
});

describe('GET /api/cover-sheets/separator', () => {
  it('prints the separator sheet, whose QR code says MEDREC-SEP', async () => {
    const res = await u.him.get('/api/cover-sheets/separator');
    expect(res.status).toBe(200);
    expect(res.contentType).toBe('application/pdf');
    expect((await pdfPages(res.raw))[0]).toContain('SEPARATOR');
    expect(await codesOf(res.raw)).toEqual([{ kind: 'separator' }, { kind: 'separator' }]);
    expectProblem(await u.auditor.get('/api/cover-sheets/separator'), 403);
  });
});

describe('POST /api/cover-sheets/:id/void', () => {
  /** Free text naming the patient, as a clerk would write it. */
  const REASON = `Printed for ${SHEET.patientName} with the wrong document type`;
  const newSheet = async () => (await u.clerk.post('/api/cover-sheets', SHEET)).headers.get('x-cover-sheet-id')!;
  const events = (id: string) => t.app.get<EventStore>(EVENT_STORE).readStream(coverSheetStream(id));
  const context = () => ({
    actor: { userId: randomUUID(), username: 'clerk1', role: 'clerk' as const },
    correlationId: randomUUID(),
    at: new Date().toISOString(),
  });

  it('voids the sheet, attributed to the clerk, the reason sealed and then shredded with the details, nothing in the answer', async () => {
    const id = await newSheet();
    const res = await u.clerk.post(`/api/cover-sheets/${id}/void`, { reason: REASON });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body).toMatchObject({ id, status: 'voided', voidedBy: 'clerk1', voidedAt: expect.any(String), mrn: null, patientName: null, dateOfBirth: null });
    expect(JSON.stringify(res.body)).not.toMatch(/wrong document type|Łukasiewicz|MRN-00482913/);

    const stored = await events(id);
    expect(stored.map((e) => e.type)).toEqual(['CoverSheetIssued', 'CoverSheetVoided']);
    const voided = stored[1];
    expect(res.body.position).toBe(voided.position);
    expect(voided.data).toMatchObject({ coverSheetId: id, voidedBy: 'clerk1', phi: expect.anything() });
    expect(JSON.stringify(voided)).not.toContain('wrong document type');
    expect(voided.metadata === undefined ? '' : JSON.stringify(voided.metadata)).not.toContain('wrong document type');
    expect(await t.app.get<KeyStore>(KEY_STORE).isDestroyed(coverSheetStream(id))).toBe(true);

    const read = await u.him.get(`/api/cover-sheets/${id}`, purpose('operations'));
    expect(read.body).toMatchObject({ id, status: 'voided', voidedBy: 'clerk1', mrn: null, patientName: null, title: null });
    // A voided sheet files nothing.
    await expect(t.app.get(CoverSheets).use(id, randomUUID(), context())).rejects.toMatchObject({ kind: 'conflict' });
  });

  it('is idempotent: voided again (a retry, or by someone else), 200 with the first void, nothing appended', async () => {
    const id = await newSheet();
    const first = await u.clerk.post(`/api/cover-sheets/${id}/void`, { reason: REASON });
    expect(first.status).toBe(200);
    const before = await headPosition(t.baseUrl);
    const again = await u.him.post(`/api/cover-sheets/${id}/void`, { reason: 'Duplicate' });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(await headPosition(t.baseUrl)).toBe(before);
  });

  it('refuses a sheet already used (409, naming its record), and an unknown one (404), appending nothing', async () => {
    const id = await newSheet();
    const recordId = randomUUID();
    await t.app.get(CoverSheets).use(id, recordId, context());
    const before = await headPosition(t.baseUrl);
    const used = await u.clerk.post(`/api/cover-sheets/${id}/void`, { reason: REASON });
    expectProblem(used, 409);
    expect(used.body).toMatchObject({ detail: expect.stringContaining('already used'), recordId });
    expect(JSON.stringify(used.body)).not.toContain('wrong document type');
    expectProblem(await u.clerk.post(`/api/cover-sheets/${randomUUID()}/void`, { reason: REASON }), 404);
    expect(await headPosition(t.baseUrl)).toBe(before);
    expect((await events(id)).map((e) => e.type)).toEqual(['CoverSheetIssued', 'CoverSheetUsed']);
  });

  it.each([
    ['no reason', {}, 'reason'],
    ['a blank reason', { reason: '   ' }, 'reason'],
    ['a reason over 500 characters', { reason: 'x'.repeat(501) }, 'reason'],
    ['a reason that is not text', { reason: 42 }, 'reason'],
    ['a field that is not taken', { reason: 'Printed twice', mrn: 'MRN-1' }, 'mrn'],
  ])('refuses %s with 400 naming the field, and voids nothing', async (_what, body, field) => {
    const id = await newSheet();
    const before = await headPosition(t.baseUrl);
    const res = await u.clerk.post(`/api/cover-sheets/${id}/void`, body);
    expectProblem(res, 400);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    expect(await headPosition(t.baseUrl)).toBe(before);
    expect((await u.clerk.get(`/api/cover-sheets/${id}`, purpose('operations'))).body.status).toBe('issued');
  });

  it('refuses an id that is not a UUID, other roles and no token', async () => {
    const id = await newSheet();
    expectProblem(await u.clerk.post('/api/cover-sheets/not-an-id/void', { reason: REASON }), 400);
    for (const role of ['clinician', 'legal', 'archivist', 'auditor', 'admin'] as const)
      expectProblem(await u[role].post(`/api/cover-sheets/${id}/void`, { reason: REASON }), 403);
    expectProblem(await new Client(t.baseUrl).post(`/api/cover-sheets/${id}/void`, { reason: REASON }), 401);
    expect((await events(id)).map((e) => e.type)).toEqual(['CoverSheetIssued']);
  });
});
