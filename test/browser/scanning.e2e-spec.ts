import { readFileSync } from 'node:fs';
import type { Browser, Download, Page } from 'playwright-core';
import { scannerStack, type StackPage } from '../support/scanner-stack';
import { headPosition } from '../e2e/support/configured-app';
import { PASSWORD, purpose, recordForm, startApp, TestApp, usersByRole } from '../e2e/support/harness';
import { readRecord, splitStack } from '../e2e/support/stacks';
import { accessibilityViolations, browserTestsUnavailable, launchBrowser, newPage, screenshot } from './support/browser';

/**
 * At the scanner, in a real browser against the real server (stacks split in process, OCR off:
 * the records a stack makes are checked by their metadata and pages, not waited for): a clerk
 * prints cover sheets (one, a CSV with a bad row, a CSV, the separator), puts the printed sheet
 * in a small stack, uploads it, follows its split, and resolves its review items (a conflict
 * shown in words, an assignment to a record) until the paper may be destroyed. Then a sheet
 * printed by mistake is voided in the browser (a used one refused in words), and a multi-page TIFF
 * stack with that voided sheet in it is uploaded: the pages behind the voided sheet are sent to
 * rescan and the orphan in front is assigned to a cover sheet, checked through the API. Every new
 * screen and dialog is checked with axe-core.
 */
const unavailable = browserTestsUnavailable();
if (unavailable) {
  console.warn(`\n!!!!!!!! BROWSER TESTS SKIPPED: ${unavailable} !!!!!!!!\n`);
}
const describeInBrowser = unavailable ? describe.skip : describe;
jest.setTimeout(90_000);

type Users = Awaited<ReturnType<typeof usersByRole>>;
/** The patient of the document behind the printed cover sheet (the fixture scan's own). */
const WHITFIELD = { mrn: 'MRN-00519377', patientName: 'James Whitfield', dateOfBirth: '1948-11-02' };
/** The patient of the page in front of the first cover sheet (an orphan, assigned to his record). */
const OKAFOR = { mrn: 'MRN-00733105', patientName: 'Samuel Okafor', dateOfBirth: '1979-01-21' };
/** The patient of the TIFF stack's lab report, behind a sheet printed by mistake and voided. */
const ADEYEMI = { mrn: 'MRN-00600218', patientName: 'Grace Adeyemi', dateOfBirth: '1990-07-30' };
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

describeInBrowser('at the scanner, in a browser', () => {
  let t: TestApp;
  let u: Users;
  let browser: Browser;
  let page: Page;
  let consoleErrors: string[];
  let okaforChart = '';
  let coverSheetId = '';
  let coverSheetPdf: Buffer;

  beforeAll(async () => {
    t = await startApp(undefined, { MEDREC_STACKS_SPLIT: 'true' });
    u = await usersByRole(t.baseUrl);
    const chart = await u.clerk.request('POST', '/api/records', {
      form: recordForm({ ...OKAFOR, documentType: 'authorization', title: 'Authorization to release' }),
    });
    expect(chart.status).toBe(201);
    okaforChart = chart.body.id;
    browser = await launchBrowser();
    ({ page, consoleErrors } = await newPage(browser, { width: 1440, height: 900 }));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  async function expectAccessible(screen: string): Promise<void> {
    await screenshot(page, screen);
    expect({ screen, violations: await accessibilityViolations(page) }).toEqual({ screen, violations: [] });
  }

  async function downloaded(click: () => Promise<void>): Promise<{ download: Download; bytes: Buffer }> {
    const [download] = await Promise.all([page.waitForEvent('download'), click()]);
    return { download, bytes: readFileSync(await download.path()) };
  }

  const csv = (rows: string[]) => ({
    name: 'clinic-day.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from(['mrn,patientName,dateOfBirth,documentType,title', ...rows].join('\n') + '\n'),
  });

  it('the clerk prints a cover sheet (the PDF and its id), a CSV refused by row number, a CSV of two, and the separator sheet', async () => {
    await page.goto(`${t.baseUrl}/upload/cover-sheets`);
    await page.getByLabel('Username').fill('clerk1');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Print cover sheets' }).waitFor();
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents()).toEqual(['Upload', 'Review', 'Search']);
    expect(await page.getByRole('navigation', { name: 'Ways to upload' }).getByRole('link').allTextContents()).toEqual([
      'Single files',
      'Print cover sheets',
      'Upload a stack',
    ]);
    await expectAccessible('40-cover-sheets');

    const one = page.getByRole('form', { name: 'One cover sheet' });
    await one.getByLabel('MRN').fill(WHITFIELD.mrn);
    await one.getByLabel('Patient name').fill(WHITFIELD.patientName);
    await one.getByLabel('Date of birth').fill(WHITFIELD.dateOfBirth);
    await one.getByLabel('Document type').selectOption('operative-report');
    await one.getByLabel('Title (optional)').fill('Operative report (scanned)');
    const sheet = await downloaded(() => one.getByRole('button', { name: 'Print the cover sheet' }).click());
    const name = /^cover-sheet-(.{36})\.pdf$/.exec(sheet.download.suggestedFilename());
    expect(name?.[1]).toMatch(UUID);
    coverSheetId = name![1];
    coverSheetPdf = sheet.bytes;
    expect(sheet.bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    await one
      .getByRole('status')
      .filter({ hasText: `Cover sheet ${coverSheetId} issued for ${WHITFIELD.mrn}` })
      .waitFor();
    const issued = await u.clerk.get(`/api/cover-sheets/${coverSheetId}`, purpose('operations'));
    expect(issued.body).toMatchObject({ status: 'issued', ...WHITFIELD, documentType: 'operative-report', issuedBy: 'clerk1' });

    // One bad row refuses the whole file, named by the row a spreadsheet shows (the header is row 1).
    const batch = page.getByRole('form', { name: "A clinic's day (CSV)" });
    await batch
      .getByLabel('CSV of the sheets')
      .setInputFiles(
        csv([
          `${OKAFOR.mrn},${OKAFOR.patientName},${OKAFOR.dateOfBirth},progress-note,Visit`,
          `${OKAFOR.mrn},${OKAFOR.patientName},21/01/1979,lab-report,Labs`,
        ]),
      );
    await batch.getByRole('button', { name: 'Print the sheets of the CSV' }).click();
    const refusal = batch.getByRole('alert');
    await refusal
      .getByRole('list', { name: 'Problems by row' })
      .getByText(/^Row 3: dateOfBirth/)
      .waitFor();
    expect(await refusal.textContent()).toContain('Nothing was printed. Correct row 3 (the header is row 1) and send the file again.');
    expect(await refusal.textContent()).not.toContain('Row 2');
    await expectAccessible('41-cover-sheets-csv-refused');

    await batch
      .getByLabel('CSV of the sheets')
      .setInputFiles(
        csv([
          `${OKAFOR.mrn},${OKAFOR.patientName},${OKAFOR.dateOfBirth},progress-note,Visit`,
          `${WHITFIELD.mrn},${WHITFIELD.patientName},${WHITFIELD.dateOfBirth},lab-report,`,
        ]),
      );
    const sheets = await downloaded(() => batch.getByRole('button', { name: 'Print the sheets of the CSV' }).click());
    expect(sheets.download.suggestedFilename()).toMatch(/^cover-sheets-[0-9a-f-]{36}\.pdf$/);
    expect(sheets.bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    await batch.getByRole('status').filter({ hasText: '2 cover sheets issued' }).waitFor();

    const separator = await downloaded(() => page.getByRole('button', { name: 'Download the separator sheet' }).click());
    expect(separator.download.suggestedFilename()).toBe('separator-sheet.pdf');
    expect(separator.bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  });

  it('uploads a stack with that sheet in it, sees its document and the pages sent to review, resolves them (a conflict in words, an assignment) until the paper may go', async () => {
    expect(coverSheetId).toMatch(UUID);
    // A page of Okafor's before the first cover sheet, the printed sheet, Whitfield's operative report, a blank page.
    const plan: StackPage[] = [
      { kind: 'scan', file: 'mrn-00733105-authorization.png', page: 1 },
      { kind: 'cover-sheet', sheet: { id: coverSheetId, ...WHITFIELD, documentType: 'operative-report' }, pdf: coverSheetPdf },
      { kind: 'scan', file: 'mrn-00519377-operative-report.png', page: 1 },
      { kind: 'blank' },
    ];
    const pdf = await (await scannerStack(plan)).pdf();

    await page.getByRole('navigation', { name: 'Ways to upload' }).getByRole('link', { name: 'Upload a stack' }).click();
    await page.getByRole('heading', { level: 1, name: 'Upload a stack' }).waitFor();
    await page.getByLabel('Stack (PDF or multi-page TIFF)').setInputFiles({ name: 'scanner-0001.pdf', mimeType: 'application/pdf', buffer: pdf });
    await expectAccessible('42-stack-upload');
    await page.getByRole('button', { name: 'Send the stack' }).click();
    await page.waitForURL(/\/upload\/stacks\/[0-9a-f-]{36}$/);
    const stackId = page.url().split('/').pop()!;

    // The screen follows the split live; the server's answer is the reference.
    const body = await splitStack(u, stackId);
    expect(body).toMatchObject({ status: 'split', pages: 4, sheets: [2], blankPages: [4] });
    const [document] = body.documents;
    expect(body.documents).toHaveLength(1);
    await page.getByRole('status').filter({ hasText: 'Split.' }).waitFor();
    const documents = page.getByRole('table', { name: 'Documents' });
    await documents.getByRole('link', { name: document.recordId }).waitFor();
    expect(await documents.getByRole('row').nth(1).textContent()).toContain(coverSheetId);
    const review = page.getByRole('table', { name: 'Pages sent to review' });
    expect(await review.getByRole('row').allTextContents()).toEqual([
      'WhyStack pagesStatus',
      'No cover sheet before these pagespage 1Open',
      'Blank pagepage 4Open',
    ]);
    await page.getByText('Keep the paper: 2 review items are still open.').waitFor();
    expect(await page.getByRole('definition').allTextContents()).toEqual(expect.arrayContaining(['page 2', 'page 4', '2 of 4']));
    await expectAccessible('43-stack-split');
    expect((await readRecord(u, document.recordId)).body).toMatchObject({ ...WHITFIELD, documentType: 'operative-report' });

    // The queue is a read model, which the screen reads without ?after=: let it reach the split first.
    const listed = await u.clerk.get(`/api/review?after=${await headPosition(t.baseUrl)}&limit=500`);
    expect(listed.body.items.filter((i: { stackId: string | null }) => i.stackId === stackId)).toHaveLength(2);
    await page.getByRole('link', { name: 'Resolve them in the review queue' }).click();
    await page.getByRole('heading', { level: 1, name: 'Review queue' }).waitFor();
    const queue = page.getByRole('table', { name: 'Review items: open' });
    const blankRow = queue.getByRole('row').filter({ hasText: 'Blank page' });
    const orphanRow = queue.getByRole('row').filter({ hasText: 'No cover sheet before these pages' });
    await blankRow.waitFor();
    await orphanRow.waitFor();
    await expectAccessible('44-review');

    // Someone else accepts the blank page meanwhile: accepting it here is refused, in words.
    const blankItem = body.reviewItems.find((i) => i.kind === 'blank-page')!;
    const meanwhile = await u.him.post(`/api/review/${blankItem.id}/resolve`, { action: 'accept' });
    expect(meanwhile.status).toBe(200);
    await u.clerk.get(`/api/review?after=${meanwhile.body.position}`);
    await blankRow.getByRole('button', { name: /^Accept… blank page, stack page 4/ }).click();
    const accept = page.getByRole('dialog', { name: 'Accept the page(s) as they are?' });
    expect(await accept.textContent()).toContain('Stack page 4 (blank page) will be discarded: it goes into no record.');
    await expectAccessible('45-review-accept-confirm');
    await accept.getByRole('button', { name: 'Accept', exact: true }).click();
    await accept.getByRole('alert').filter({ hasText: 'The review item was already resolved (accept)' }).waitFor();
    expect(await accept.getByRole('button', { name: 'Accept', exact: true }).isDisabled()).toBe(true);
    await expectAccessible('46-review-conflict');
    await accept.getByRole('button', { name: 'Cancel' }).click();
    await blankRow.waitFor({ state: 'detached' });

    // The orphan page goes to Okafor's chart as a new version, said before it is done.
    await orphanRow.getByRole('button', { name: /^Assign… no cover sheet before these pages, stack page 1/ }).click();
    await page.waitForFunction("document.activeElement?.id === 'assign-id'", undefined, { timeout: 5_000 });
    await page.keyboard.type(okaforChart);
    await page.getByRole('button', { name: 'Assign…', exact: true }).click();
    const assign = page.getByRole('dialog', { name: 'Assign the page(s)?' });
    expect(await assign.textContent()).toContain(
      `Stack page 1 (no cover sheet before these pages) will become a new version (late entry) of the record ${okaforChart}`,
    );
    await expectAccessible('47-review-assign-confirm');
    await assign.getByRole('button', { name: 'Assign', exact: true }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `assigned to the record ${okaforChart}, version 2.` })
      .waitFor();
    await page.getByText('No open item.').waitFor();
    const chart = await readRecord(u, okaforChart);
    expect(chart.body.versions.map((v: { version: number; pages: number }) => [v.version, v.pages])).toEqual([
      [1, 1],
      [2, 1],
    ]);

    // The resolved items, and from there the stack: now the paper may go.
    await page.getByLabel('Status', { exact: true }).selectOption('resolved');
    await page.getByRole('button', { name: 'Show' }).click();
    const resolved = page.getByRole('table', { name: 'Review items: resolved' });
    await resolved.getByRole('row').filter({ hasText: 'Assigned by clerk1' }).waitFor();
    await resolved.getByRole('row').filter({ hasText: 'Accepted by him1' }).waitFor();
    await resolved
      .getByRole('link', { name: `Stack ${stackId}` })
      .first()
      .click();
    await page.getByText('The paper may be destroyed: every page is in a record, a sheet, or a resolved review item').waitFor();
    expect((await u.clerk.get(`/api/stacks/${stackId}?after=${await headPosition(t.baseUrl)}`)).body).toMatchObject({
      paperMayBeDestroyed: true,
      reviewItemsOpen: 0,
    });
    expect(await page.getByRole('navigation', { name: 'Ways to upload' }).getByRole('link', { name: 'Upload a stack' }).getAttribute('aria-current')).toBe(
      'page',
    );
    await expectAccessible('48-stack-paper-may-go');
    expect(consoleErrors.filter((e) => !e.startsWith('Failed to load resource'))).toEqual([]);
  });

  it('voids a sheet printed by mistake (a used one refused in words), then a TIFF stack with it: the pages behind it sent to rescan, the orphan assigned to a cover sheet', async () => {
    expect(coverSheetId).toMatch(UUID);
    await page.getByRole('navigation', { name: 'Ways to upload' }).getByRole('link', { name: 'Print cover sheets' }).click();
    await page.getByRole('heading', { level: 1, name: 'Print cover sheets' }).waitFor();

    // A sheet printed for the wrong document type: listed under "Void a cover sheet" once printed.
    const one = page.getByRole('form', { name: 'One cover sheet' });
    await one.getByLabel('MRN').fill(ADEYEMI.mrn);
    await one.getByLabel('Patient name').fill(ADEYEMI.patientName);
    await one.getByLabel('Date of birth').fill(ADEYEMI.dateOfBirth);
    await one.getByLabel('Document type').selectOption('discharge-summary');
    const mistake = await downloaded(() => one.getByRole('button', { name: 'Print the cover sheet' }).click());
    const mistakeId = /^cover-sheet-(.{36})\.pdf$/.exec(mistake.download.suggestedFilename())![1];
    const voiding = page.getByRole('form', { name: 'Void a cover sheet' });
    await voiding.getByRole('button', { name: `Choose the cover sheet ${mistakeId} to void` }).click();
    expect(await voiding.getByLabel('Cover sheet id').inputValue()).toBe(mistakeId);
    await voiding.getByLabel('Reason').fill(`Printed as a discharge summary for ${ADEYEMI.patientName}: it is a lab report`);
    await voiding.getByRole('button', { name: 'Void…' }).click();
    const confirm = page.getByRole('dialog', { name: 'Void the cover sheet?' });
    expect(await confirm.textContent()).toContain(`The cover sheet ${mistakeId} will be voided: it can no longer file a document`);
    await expectAccessible('49-cover-sheet-void-confirm');
    await confirm.getByRole('button', { name: 'Void the sheet' }).click();
    await voiding
      .getByRole('status')
      .filter({ hasText: `Cover sheet ${mistakeId} voided by clerk1` })
      .waitFor();
    expect(await voiding.getByRole('list', { name: 'Sheets printed here' }).getByRole('listitem').allTextContents()).toEqual([`${mistakeId} voided`]);
    expect((await u.him.get(`/api/cover-sheets/${mistakeId}`, purpose('operations'))).body).toMatchObject({
      status: 'voided',
      voidedBy: 'clerk1',
      mrn: null,
      patientName: null,
    });

    // The sheet of the first stack filed a record: voiding it is refused, in words, and nothing changes.
    await voiding.getByLabel('Cover sheet id').fill(coverSheetId);
    await voiding.getByLabel('Reason').fill('Printed twice');
    await voiding.getByRole('button', { name: 'Void…' }).click();
    await confirm.getByRole('button', { name: 'Void the sheet' }).click();
    await confirm.getByRole('alert').filter({ hasText: 'A cover sheet already used cannot be voided' }).waitFor();
    await confirm.getByText(/^It already filed the record [0-9a-f-]{36}: nothing was changed\.$/).waitFor();
    expect(await confirm.getByRole('button', { name: 'Void the sheet' }).isDisabled()).toBe(true);
    await expectAccessible('50-cover-sheet-void-refused');
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    expect((await u.him.get(`/api/cover-sheets/${coverSheetId}`, purpose('operations'))).body.status).toBe('used');

    // Okafor's nursing notes in front of any sheet, then the voided sheet and the lab report behind it, then a good sheet and its document.
    const nursing = await u.clerk.post('/api/cover-sheets', { ...OKAFOR, documentType: 'nursing-notes', title: 'Nursing notes (found loose)' });
    const progress = await u.clerk.post('/api/cover-sheets', { ...WHITFIELD, documentType: 'progress-note' });
    expect([nursing.status, progress.status]).toEqual([201, 201]);
    const nursingSheet = nursing.headers.get('x-cover-sheet-id')!;
    const progressSheet = { id: progress.headers.get('x-cover-sheet-id')!, ...WHITFIELD, documentType: 'progress-note' };
    const plan: StackPage[] = [
      { kind: 'scan', file: 'mrn-00733105-nursing-notes.tif', page: 1 },
      { kind: 'cover-sheet', sheet: { id: mistakeId, ...ADEYEMI, documentType: 'discharge-summary' }, pdf: mistake.bytes },
      { kind: 'scan', file: 'mrn-00600218-lab-report.pdf', page: 1 },
      { kind: 'cover-sheet', sheet: progressSheet, pdf: progress.raw },
      { kind: 'scan', file: 'mrn-00519377-progress-note.tif', page: 1 },
    ];
    const tiff = await (await scannerStack(plan, { seed: 7 })).tiff();
    expect(tiff.subarray(0, 4).toString('latin1')).toMatch(/^(II\*\0|MM\0\*)$/);

    await page.getByRole('navigation', { name: 'Ways to upload' }).getByRole('link', { name: 'Upload a stack' }).click();
    await page.getByRole('heading', { level: 1, name: 'Upload a stack' }).waitFor();
    await page.getByLabel('Stack (PDF or multi-page TIFF)').setInputFiles({ name: 'scanner-0002.tif', mimeType: 'image/tiff', buffer: tiff });
    await page.getByRole('button', { name: 'Send the stack' }).click();
    await page.waitForURL(/\/upload\/stacks\/[0-9a-f-]{36}$/);
    const stackId = page.url().split('/').pop()!;
    const body = await splitStack(u, stackId);
    expect(body).toMatchObject({ status: 'split', pages: 5, sheets: [2, 4], blankPages: [] });
    expect(body.documents.map((d) => [d.coverSheetId, d.pages])).toEqual([[progressSheet.id, [5]]]);
    expect(body.reviewItems.map((i) => [i.kind, i.pageRange.first, i.pageRange.last])).toEqual([
      ['no-cover-sheet', 1, 1],
      ['cover-sheet-used', 3, 3],
    ]);
    await page.getByRole('status').filter({ hasText: 'Split.' }).waitFor();
    const sentToReview = page.getByRole('table', { name: 'Pages sent to review' });
    await sentToReview.getByRole('row').filter({ hasText: 'Cover sheet used, voided, repeated or in another stack' }).waitFor();
    expect(await sentToReview.getByRole('row').allTextContents()).toEqual([
      'WhyStack pagesStatus',
      'No cover sheet before these pagespage 1Open',
      'Cover sheet used, voided, repeated or in another stackpage 3Open',
    ]);
    await expectAccessible('51-tiff-stack-split');

    const listed = await u.clerk.get(`/api/review?after=${await headPosition(t.baseUrl)}&limit=500`);
    expect(listed.body.items.filter((i: { stackId: string | null }) => i.stackId === stackId)).toHaveLength(2);
    await page.getByRole('link', { name: 'Resolve them in the review queue' }).click();
    const queue = page.getByRole('table', { name: 'Review items: open' });
    const behindVoided = queue.getByRole('row').filter({ hasText: 'Cover sheet used, voided, repeated or in another stack' });
    const orphan = queue.getByRole('row').filter({ hasText: 'No cover sheet before these pages' });

    // The lab report behind the voided sheet: scanned again once a good sheet is printed.
    await behindVoided.getByRole('button', { name: /^Rescan… cover sheet used, voided, repeated or in another stack, stack page 3/ }).click();
    const rescan = page.getByRole('dialog', { name: 'Send the page(s) to rescan?' });
    expect(await rescan.textContent()).toContain('Stack page 3 (cover sheet used, voided, repeated or in another stack) must be scanned again');
    await rescan.getByRole('button', { name: 'Send to rescan' }).click();
    await page.getByRole('status').filter({ hasText: 'cover sheet used, voided, repeated or in another stack, stack page 3: awaiting a rescan.' }).waitFor();
    await behindVoided.waitFor({ state: 'detached' });

    // The loose nursing notes get a sheet of their own, after the fact: a new record with its details.
    await orphan.getByRole('button', { name: /^Assign… no cover sheet before these pages, stack page 1/ }).click();
    await page.getByRole('radio', { name: 'A cover sheet (a new record with its details)' }).check();
    await page.getByLabel('Cover sheet id').fill(nursingSheet);
    await page.getByRole('button', { name: 'Assign…', exact: true }).click();
    const assign = page.getByRole('dialog', { name: 'Assign the page(s)?' });
    expect(await assign.textContent()).toContain(
      `Stack page 1 (no cover sheet before these pages) will become a new record with the details of the cover sheet ${nursingSheet}`,
    );
    await expectAccessible('52-review-assign-cover-sheet-confirm');
    await assign.getByRole('button', { name: 'Assign', exact: true }).click();
    const filedAs = page
      .getByRole('status')
      .filter({ hasText: `no cover sheet before these pages, stack page 1: filed as a new record with the details of the cover sheet ${nursingSheet} (` });
    await filedAs.waitFor();
    await page.getByText('No open item.').waitFor();

    // The outcome, from the API: the orphan is Okafor's nursing notes, one page, filed by the sheet; the rescan keeps the paper.
    const after = await u.clerk.get(`/api/stacks/${stackId}?after=${await headPosition(t.baseUrl)}`);
    expect(after.body.reviewItems.map((i: { kind: string; status: string; action: string | null }) => [i.kind, i.status, i.action])).toEqual([
      ['no-cover-sheet', 'resolved', 'assign'],
      ['cover-sheet-used', 'awaiting-rescan', 'rescan'],
    ]);
    expect(after.body).toMatchObject({ paperMayBeDestroyed: false, originalKept: true, reviewItemsOpen: 1 });
    const used = await u.him.get(`/api/cover-sheets/${nursingSheet}`, purpose('operations'));
    expect(used.body).toMatchObject({ status: 'used', stackId, recordId: expect.stringMatching(UUID) });
    expect(await filedAs.textContent()).toContain(`${nursingSheet} (${used.body.recordId}).`);
    const filed = await readRecord(u, used.body.recordId);
    expect(filed.body).toMatchObject({ ...OKAFOR, documentType: 'nursing-notes', title: 'Nursing notes (found loose)' });
    expect(filed.body.versions.map((v: { version: number; pages: number }) => [v.version, v.pages])).toEqual([[1, 1]]);
    expect(consoleErrors.filter((e) => !e.startsWith('Failed to load resource'))).toEqual([]);
  });
});
