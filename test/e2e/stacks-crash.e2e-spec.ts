import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type PrintedCoverSheet } from '@medrec/ingest/sheets/sheets-pdf';
import { fixtureScanPages, scannerStack, type StackPage } from '../support/scanner-stack';
import { ServerProcess, startServerProcess } from '../support/server-process';
import { headPosition } from './support/configured-app';
import { ADMIN_PASSWORD, login, PASSWORD, purpose, usersByRole } from './support/harness';
import { issueSheets, readRecord, sendStack, splitStack, type StackBody, type Users } from './support/stacks';

/**
 * kill -9 while a stack is being split (the built server as a process, OCR off: the filing is what
 * is cut), then the same data started again: the split resumes from the plan parts it recorded and
 * ends with every page in exactly one record, sheet or review item, no record made twice, each
 * cover sheet used once (for its own document), and the damaged sheet's pages still in review.
 */
const SHEETS = 12;
const DAMAGED = 5;
const WITH_SEPARATOR = 2;

describe('a stack split cut by kill -9', () => {
  it('resumes after a restart: every page once, no record twice, cover sheets used once', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'medrec-stack-crash-'));
    const env = { MEDREC_ADMIN_PASSWORD: ADMIN_PASSWORD, MEDREC_OCR_IN_PROCESS: 'false', MEDREC_STACKS_SPLIT: 'true' };
    let server: ServerProcess = await startServerProcess(dataDir, env);
    try {
      let u: Users = await usersByRole(server.baseUrl);
      const details = Array.from({ length: SHEETS }, (_, i) => ({
        mrn: `MRN-0099${String(i).padStart(4, '0')}`,
        patientName: `Crash Example ${'ABCDEFGHIJKLMNOP'[i]}lda`,
        dateOfBirth: '1970-01-01',
        documentType: 'progress-note',
        title: `Crash note ${i}`,
      }));
      const { sheets, pdfs } = await issueSheets(u, details);

      // An orphan page, then each sheet with two pages (one with a separator and a third page; one stained).
      const scans = fixtureScanPages();
      let next = 0;
      const scan = (): StackPage => scans[next++ % scans.length];
      const plan: StackPage[] = [scan()];
      const expected: Array<{ sheet: number; part: number; pages: number[] }> = [];
      const unreadable: Array<{ first: number; last: number }> = [];
      for (const [i, sheet] of sheets.entries()) {
        plan.push({ kind: 'cover-sheet', sheet, pdf: pdfs[i], ...(i === DAMAGED ? { damaged: true } : {}) });
        const first = plan.length + 1;
        plan.push(scan(), scan());
        if (i === DAMAGED) unreadable.push({ first: first - 1, last: first + 1 });
        else expected.push({ sheet: i, part: 1, pages: [first, first + 1] });
        if (i === WITH_SEPARATOR) {
          plan.push({ kind: 'separator' }, scan());
          expected.push({ sheet: i, part: 2, pages: [plan.length] });
        }
      }
      const pdf = await (await scannerStack(plan)).pdf();
      const sent = await sendStack(u.clerk, pdf, 'crash.pdf');
      expect(sent.status).toBe(202);
      const { stackId } = sent.body;

      // Pull the plug once some cover sheets have filed their records and others not yet.
      const used = async (sheet: PrintedCoverSheet) => (await u.him.get(`/api/cover-sheets/${sheet.id}`, purpose('operations'))).body.status === 'used';
      for (const deadline = Date.now() + 60_000; ;) {
        const filed = (await Promise.all(sheets.map(used))).filter(Boolean).length;
        if (filed >= 2 && filed < SHEETS - 2) break;
        if (filed >= SHEETS - 2 || Date.now() > deadline) throw new Error(`could not catch the split mid-way (${filed}/${SHEETS} sheets used)`);
        await new Promise((r) => setTimeout(r, 20));
      }
      await server.kill9();

      server = await startServerProcess(dataDir, env);
      const clerk = await login(server.baseUrl, 'clerk1', PASSWORD);
      const him = await login(server.baseUrl, 'him1', PASSWORD);
      u = { ...u, clerk, him };
      const body: StackBody = await splitStack(u, stackId);
      expect(body.status).toBe('split');

      // Exactly the expected documents, each under its own sheet, every page once.
      expect(body.documents.map((d) => [d.coverSheetId, d.part, d.pages, d.filed])).toEqual(expected.map((e) => [sheets[e.sheet].id, e.part, e.pages, true]));
      const inReview = body.reviewItems.filter((r) => !body.sheets.includes(r.pageRange.first));
      expect(body.reviewItems.map((r) => [r.kind, r.pageRange])).toEqual([
        ['no-cover-sheet', { first: 1, last: 1 }],
        ...unreadable.map((range) => ['unreadable-code', range]),
      ]);
      const pages = [
        ...body.documents.flatMap((d) => d.pages),
        ...inReview.flatMap((r) => Array.from({ length: r.pageRange.last - r.pageRange.first + 1 }, (_, i) => r.pageRange.first + i)),
        ...body.sheets,
      ].sort((a, b) => a - b);
      expect(pages).toEqual(plan.map((_, i) => i + 1));

      // No record twice: each patient has exactly the records of its own sheet's documents.
      const after = await headPosition(server.baseUrl);
      // Nor a review item outside the recorded plan: the queue holds exactly the stack's items.
      const queue = await clerk.get(`/api/review?after=${after}&limit=500`);
      const queued = (queue.body.items as Array<{ stackId: string; kind: string; pageRange: { first: number } }>).filter((i) => i.stackId === stackId);
      const byPage = (items: Array<{ kind: string; pageRange: { first: number } }>) =>
        items.map((i) => [i.kind, i.pageRange.first]).sort((a, b) => (a[1] as number) - (b[1] as number));
      expect(byPage(queued)).toEqual(byPage(body.reviewItems));
      for (const [i, sheet] of sheets.entries()) {
        const res = await him.get(`/api/search?mrn=${sheet.mrn}&after=${after}&limit=100`, purpose('operations'));
        expect(res.status).toBe(200);
        const ids = (res.body.results as Array<{ recordId: string }>).map((r) => r.recordId).sort();
        expect({ sheet: i, ids }).toEqual({
          sheet: i,
          ids: body.documents
            .filter((d) => d.coverSheetId === sheet.id)
            .map((d) => d.recordId)
            .sort(),
        });
      }
      for (const document of body.documents) {
        const sheet = sheets.find((s) => s.id === document.coverSheetId)!;
        const record = await readRecord(u, document.recordId);
        expect({ mrn: record.body.mrn, pages: record.body.versions[0].pages, versions: record.body.versions.length }).toEqual({
          mrn: sheet.mrn,
          pages: document.pages.length,
          versions: 1,
        });
      }
      // Each cover sheet used once, for its own part 1; the stained one still issued (its pages in review).
      for (const [i, sheet] of sheets.entries()) {
        const res = await him.get(`/api/cover-sheets/${sheet.id}`, purpose('operations'));
        if (i === DAMAGED) expect(res.body.status).toBe('issued');
        else
          expect(res.body).toMatchObject({
            status: 'used',
            stackId,
            recordId: body.documents.find((d) => d.coverSheetId === sheet.id && d.part === 1)!.recordId,
          });
      }
    } finally {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
