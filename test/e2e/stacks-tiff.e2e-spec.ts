import { scannerStack, standardStackCoverSheets, standardStackPlan } from '../support/scanner-stack';
import { purpose, startApp, TestApp, usersByRole } from './support/harness';
import { expectFoundBySearch, expectProblem, expectStandardSplit, issueSheets, readRecord, sendStack, splitStack, type Users } from './support/stacks';

/**
 * The issue's stack as a multi-page TIFF (the PDF: stacks.e2e-spec.ts): the same records, their
 * pages the TIFF's page images; OCR'd and found by search; the orphan pages assigned to a cover
 * sheet become a new record with the sheet's details, and the sheet files nothing more.
 */

let t: TestApp;
let u: Users;

beforeAll(async () => {
  t = await startApp(undefined, { MEDREC_OCR_IN_PROCESS: 'true', MEDREC_STACKS_SPLIT: 'true', MEDREC_OCR_WORKERS: '1' });
  u = await usersByRole(t.baseUrl);
}, 60_000);
afterAll(() => t?.close());

describe('the same stack as a multi-page TIFF', () => {
  it('is split into the same records (new cover sheets), OCR\u2019d; its orphans assigned to a cover sheet become a new record with its details', async () => {
    const { sheets, pdfs } = await issueSheets(u, standardStackCoverSheets());
    const tiff = await (await scannerStack(standardStackPlan(sheets, { pdfs }))).tiff();
    const res = await sendStack(u.clerk, tiff, 'stack.tif');
    expect(res.status).toBe(202);
    const body = await splitStack(u, res.body.stackId);
    await expectStandardSplit(u, body, sheets);
    const versions = await Promise.all(body.documents.map((d) => readRecord(u, d.recordId)));
    expect(versions.map((v) => v.body.versions[0].contentType)).toEqual(Array(5).fill('image/tiff'));
    await expectFoundBySearch(t, u, body);

    const orphanSheet = await issueSheets(u, [
      { mrn: 'MRN-00733105', patientName: 'Samuel Okafor', dateOfBirth: '1939-01-15', documentType: 'nursing-notes', title: 'Nursing notes (late)' },
    ]);
    const orphans = body.reviewItems.find((i) => i.kind === 'no-cover-sheet')!;
    const assigned = await u.clerk.post(`/api/review/${orphans.id}/resolve`, { action: 'assign', coverSheetId: orphanSheet.sheets[0].id });
    expect(assigned.status).toBe(200);
    const sheet = await u.him.get(`/api/cover-sheets/${orphanSheet.sheets[0].id}`, purpose('operations'));
    expect(sheet.body).toMatchObject({ status: 'used', stackId: res.body.stackId });
    expect(assigned.body).toMatchObject({ action: 'assign', recordId: sheet.body.recordId, version: 1 });
    const record = await readRecord(u, sheet.body.recordId);
    expect(record.body).toMatchObject({ mrn: 'MRN-00733105', patientName: 'Samuel Okafor', title: 'Nursing notes (late)' });
    expect(record.body.versions[0].pages).toBe(2);
    // A cover sheet files once: assigning pages to it again is refused, nothing made.
    const again = await u.clerk.post(`/api/review/${body.reviewItems.find((i) => i.kind === 'blank-page')!.id}/resolve`, {
      action: 'assign',
      coverSheetId: orphanSheet.sheets[0].id,
    });
    expectProblem(again, 409);
  }, 240_000);
});
