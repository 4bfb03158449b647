import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { systemActor } from '@medrec/application';
import { join } from 'node:path';
import PDFDocument from 'pdfkit';
import { type PrintedCoverSheet } from '@medrec/ingest/sheets/sheets-pdf';
import { StackSplitter } from '../../apps/api/src/stacks/stack-splitter';
import { scannerStack, type StackPage, standardStackCoverSheets, standardStackPlan } from '../support/scanner-stack';
import { headPosition } from './support/configured-app';
import { SCANS, scanForm, scanManifest } from './support/fixtures';
import { purpose, startApp, TestApp, usersByRole } from './support/harness';
import {
  expectFoundBySearch,
  expectProblem,
  expectStandardSplit,
  issueSheets,
  readRecord,
  sendStack,
  splitStack,
  type StackBody,
  type Users,
} from './support/stacks';

/**
 * Stacks over HTTP, OCR in process: the issue's stack (test/support/scanner-stack.ts: cover sheets
 * printed by POST /api/cover-sheets, 200 dpi, 1° skew, noise, between fixture scans; a blank page, a
 * separator, two pages before the first cover sheet) as a PDF (the TIFF: stacks-tiff.e2e-spec.ts), split into
 * exactly the expected records (metadata, pages, OCR'd, found by search); the blank page and the
 * orphans in the review queue, the orphans assigned (a new version of the right record); a damaged QR code, and a cover sheet whose
 * two codes are painted over, that must not file pages under the wrong patient; the
 * upload limits before anything is decoded; the Idempotency-Key.
 */

let t: TestApp;
let u: Users;

beforeAll(async () => {
  t = await startApp(undefined, { MEDREC_OCR_IN_PROCESS: 'true', MEDREC_STACKS_SPLIT: 'true', MEDREC_OCR_WORKERS: '1', MEDREC_MAX_PAGES: '500' });
  u = await usersByRole(t.baseUrl);
}, 60_000);
afterAll(() => t?.close());

describe('a scanner-made stack as a PDF', () => {
  let sheets: PrintedCoverSheet[];
  let pdf: Buffer;
  let body: StackBody;
  let stackId: string;

  beforeAll(async () => {
    const issued = await issueSheets(u, standardStackCoverSheets());
    sheets = issued.sheets;
    pdf = await (await scannerStack(standardStackPlan(sheets, { pdfs: issued.pdfs }))).pdf();
    const res = await sendStack(u.clerk, pdf, 'stack.pdf');
    expect(res.status).toBe(202);
    expect(res.headers.get('location')).toBe(`/api/stacks/${res.body.stackId}`);
    stackId = res.body.stackId;
    body = await splitStack(u, stackId);
  }, 120_000);

  it('is split into exactly the expected records, each with its cover sheet\u2019s details and pages, the cover sheets used once', async () => {
    await expectStandardSplit(u, body, sheets);
    for (const [i, sheet] of sheets.entries()) {
      const res = await u.him.get(`/api/cover-sheets/${sheet.id}`, purpose('operations'));
      expect(res.body).toMatchObject({ status: 'used', stackId, recordId: body.documents.find((d) => d.coverSheetId === sheet.id && d.part === 1)!.recordId });
      expect(i).toBeGreaterThanOrEqual(0);
    }
  });

  it('OCRs the records as any upload: each is found by search', async () => {
    await expectFoundBySearch(t, u, body);
  }, 200_000);

  it('answers the same file again with 200 and the same stack, making nothing new', async () => {
    const again = await sendStack(u.him, pdf, 'again.pdf');
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ stackId });
    expect((await u.clerk.get(`/api/stacks/${stackId}`)).body.documents).toHaveLength(5);
  });

  it('files nothing twice when the split runs again (a node that died after filing, its lease taken over)', async () => {
    const recordsOfA = async () => {
      const res = await u.him.get(`/api/search?mrn=${sheets[0].mrn}&after=${await headPosition(t.baseUrl)}&limit=100`, purpose('operations'));
      return (res.body.results as Array<{ recordId: string }>).map((r) => r.recordId).sort();
    };
    const before = await recordsOfA();
    expect(before).toHaveLength(2);
    await t.app.get(StackSplitter).split(stackId, { actor: systemActor('stacks@test'), correlationId: randomUUID(), at: new Date().toISOString() });
    expect(await recordsOfA()).toEqual(before);
    expect((await u.clerk.get(`/api/stacks/${stackId}`)).body.documents).toEqual(body.documents);
  });

  it('lists the blank page and the orphans for review; assigning the orphans makes them a new version of the right record; then the paper may go', async () => {
    const orphanScan = scanManifest().find((s) => s.file === 'mrn-00733105-operative-report.pdf')!;
    const target = await u.clerk.request('POST', '/api/records', { form: scanForm(orphanScan) });
    expect(target.status).toBe(201);
    const queue = await u.clerk.get(`/api/review?after=${await headPosition(t.baseUrl)}&limit=500`);
    const ofStack = (queue.body.items as Array<{ id: string; kind: string; stackId: string; pageRange: { first: number; last: number } }>).filter(
      (i) => i.stackId === stackId,
    );
    expect(ofStack.map((i) => [i.kind, i.pageRange])).toEqual([
      ['no-cover-sheet', { first: 1, last: 2 }],
      ['blank-page', { first: 6, last: 6 }],
    ]);
    const [orphans, blank] = ofStack;
    const assigned = await u.clerk.post(`/api/review/${orphans.id}/resolve`, { action: 'assign', recordId: target.body.id });
    expect(assigned.status).toBe(200);
    expect(assigned.body).toMatchObject({ status: 'resolved', action: 'assign', recordId: target.body.id, version: 2 });
    const record = await readRecord(u, target.body.id);
    expect(record.body.mrn).toBe(orphanScan.mrn);
    expect(record.body.versions.map((v: { version: number; pages: number }) => [v.version, v.pages])).toEqual([
      [1, 1],
      [2, 2],
    ]);
    expect((await u.clerk.get(`/api/stacks/${stackId}`)).body).toMatchObject({ paperMayBeDestroyed: false, reviewItemsOpen: 1, originalKept: true });
    expect((await u.him.post(`/api/review/${blank.id}/resolve`, { action: 'accept' })).status).toBe(200);
    expect((await u.clerk.get(`/api/stacks/${stackId}`)).body).toMatchObject({
      paperMayBeDestroyed: true,
      reviewItemsOpen: 0,
      pagesAccountedFor: 14,
      originalKept: false,
    });
  });
});

describe('a damaged QR code', () => {
  it('sends its pages to review: never into the document before it, never under another patient', async () => {
    const { sheets, pdfs } = await issueSheets(u, standardStackCoverSheets());
    const cover = (i: number, damaged = false): StackPage => ({ kind: 'cover-sheet', sheet: sheets[i], pdf: pdfs[i], ...(damaged ? { damaged } : {}) });
    // B's sheet is stained: read naively (skipping what cannot be read), B's operative report would
    // join A's radiology report under A's name; a separator behind it must not revive A either.
    const plan: StackPage[] = [
      cover(0),
      { kind: 'scan', file: 'mrn-00482913-radiology-report.png', page: 1 },
      cover(1, true),
      { kind: 'scan', file: 'mrn-00519377-operative-report.png', page: 1 },
      { kind: 'separator' },
      { kind: 'scan', file: 'mrn-00519377-progress-note.tif', page: 1 },
      cover(2),
      { kind: 'scan', file: 'mrn-00600218-lab-report.pdf', page: 1 },
    ];
    const stack = await scannerStack(plan);
    const res = await sendStack(u.clerk, await stack.pdf(), 'damaged.pdf');
    expect(res.status).toBe(202);
    const body = await splitStack(u, res.body.stackId);
    expect(body.documents.map((d) => [d.coverSheetId, d.pages])).toEqual([
      [sheets[0].id, [2]],
      [sheets[2].id, [8]],
    ]);
    expect(body.reviewItems.map((i) => [i.kind, i.pageRange])).toEqual([
      ['unreadable-code', { first: 3, last: 4 }],
      ['unreadable-code', { first: 6, last: 6 }],
    ]);
    for (const document of body.documents) {
      const record = await readRecord(u, document.recordId);
      expect(record.body.mrn).toBe(sheets[document.coverSheetId === sheets[0].id ? 0 : 2].mrn);
      expect(record.body.versions[0].pages).toBe(1);
    }
    // Nothing was filed under B's patient, and B's sheet can still file its pages.
    const ofB = await u.him.get(`/api/search?mrn=${sheets[1].mrn}&after=${await headPosition(t.baseUrl)}&limit=100`, purpose('operations'));
    expect(ofB.body.results.filter((r: { recordId: string }) => body.documents.some((d) => d.recordId === r.recordId))).toEqual([]);
    expect((await u.him.get(`/api/cover-sheets/${sheets[1].id}`, purpose('operations'))).body.status).toBe('issued');
  }, 120_000);
});

describe('a cover sheet whose two QR codes are painted over', () => {
  it('sends it and its pages to review: not into the record of the sheet before it, not into any record; with one code painted over the sheet still files', async () => {
    const { sheets, pdfs } = await issueSheets(u, standardStackCoverSheets());
    const cover = (i: number, obliterated?: 'one' | 'both'): StackPage => ({
      kind: 'cover-sheet',
      sheet: sheets[i],
      pdf: pdfs[i],
      ...(obliterated ? { obliterated } : {}),
    });
    // B's sheet has no code left at all (black box over one, white over the other): seen only as a
    // page, its pages would join A's radiology report under A's name. Only the printed sheet marker tells.
    const plan: StackPage[] = [
      cover(0),
      { kind: 'scan', file: 'mrn-00482913-radiology-report.png', page: 1 },
      cover(1, 'both'),
      { kind: 'scan', file: 'mrn-00519377-operative-report.png', page: 1 },
      { kind: 'scan', file: 'mrn-00519377-progress-note.tif', page: 1 },
      cover(2, 'one'),
      { kind: 'scan', file: 'mrn-00600218-lab-report.pdf', page: 1 },
    ];
    const stack = await scannerStack(plan);
    const res = await sendStack(u.clerk, await stack.pdf(), 'painted-over.pdf');
    expect(res.status).toBe(202);
    const body = await splitStack(u, res.body.stackId);
    expect(body.documents.map((d) => [d.coverSheetId, d.pages])).toEqual([
      [sheets[0].id, [2]],
      [sheets[2].id, [7]],
    ]);
    expect(body.reviewItems.map((i) => [i.kind, i.pageRange])).toEqual([['unreadable-code', { first: 3, last: 5 }]]);
    // A's record holds its own page only; C's (one code left) its own; nothing at all under B's patient.
    const [ofA, ofC] = await Promise.all(body.documents.map((d) => readRecord(u, d.recordId)));
    expect([ofA.body.mrn, ofA.body.versions.map((v: { pages: number }) => v.pages)]).toEqual([sheets[0].mrn, [1]]);
    expect([ofC.body.mrn, ofC.body.versions.map((v: { pages: number }) => v.pages)]).toEqual([sheets[2].mrn, [1]]);
    const ofB = await u.him.get(`/api/search?mrn=${sheets[1].mrn}&after=${await headPosition(t.baseUrl)}&limit=100`, purpose('operations'));
    expect(ofB.body.results.filter((r: { recordId: string }) => body.documents.some((d) => d.recordId === r.recordId))).toEqual([]);
    expect((await u.him.get(`/api/cover-sheets/${sheets[1].id}`, purpose('operations'))).body.status).toBe('issued');
    expect((await u.him.get(`/api/cover-sheets/${sheets[2].id}`, purpose('operations'))).body.status).toBe('used');
  }, 120_000);
});

describe('refusals, before anything is decoded', () => {
  /** A PDF of `pages` empty pages: small, cheap to make, and over the page limit. */
  function emptyPages(pages: number): Promise<Buffer> {
    const doc = new PDFDocument({ size: 'LETTER', autoFirstPage: false });
    const chunks: Buffer[] = [];
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    const done = new Promise<Buffer>((resolve) => doc.on('end', () => resolve(Buffer.concat(chunks))));
    for (let i = 0; i < pages; i++) doc.addPage();
    doc.end();
    return done;
  }

  it('refuses a 600-page stack with 422 too-many-pages, and receives nothing', async () => {
    const big = await emptyPages(600);
    const res = await sendStack(u.clerk, big, 'big.pdf');
    expectProblem(res, 422);
    expect(res.body.reason).toBe('too-many-pages');
    const again = await sendStack(u.clerk, big, 'big.pdf');
    expectProblem(again, 422);
  });

  it('refuses a PNG (415), no file, and a missing, malformed or wrong Idempotency-Key (400)', async () => {
    const png = readFileSync(join(SCANS, 'mrn-00519377-operative-report.png'));
    const pngRes = await sendStack(u.clerk, png, 'page.png');
    expectProblem(pngRes, 415);
    expect(pngRes.body.reason).toBe('unsupported-type');
    expectProblem(await sendStack(u.clerk, png, 'page.png', ''), 400);
    expectProblem(await sendStack(u.clerk, png, 'page.png', 'f'.repeat(64)), 400);
    expectProblem(await sendStack(u.clerk, png, 'page.png', 'not-a-hash'), 400);
    expectProblem(await u.clerk.request('POST', '/api/stacks', { form: new FormData(), headers: { 'idempotency-key': 'a'.repeat(64) } }), 400);
  });

  it('is for clerks and HIM only', async () => {
    const png = readFileSync(join(SCANS, 'mrn-00519377-operative-report.png'));
    expect((await sendStack(u.clinician, png, 'page.png')).status).toBe(403);
  });
});
