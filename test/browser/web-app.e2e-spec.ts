import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ADMIN_PASSWORD, PASSWORD, startApp, TestApp, usersByRole } from '../e2e/support/harness';
import { BAD_INPUTS, SCANS } from '../e2e/support/fixtures';
import { accessibilityViolations, browserTestsUnavailable, launchBrowser, newPage, screenshot } from './support/browser';

/**
 * The web app in a real browser (Debian's chromium driven by playwright-core) against the real
 * server on embedded defaults with OCR in process: the people of a records department, each
 * through their own screens, and every screen checked with axe-core.
 */
const unavailable = browserTestsUnavailable();
if (unavailable) {
  console.warn(`\n!!!!!!!! BROWSER TESTS SKIPPED: ${unavailable} !!!!!!!!\n`);
}
const describeInBrowser = unavailable ? describe.skip : describe;
jest.setTimeout(120_000);

const OCR_TIMEOUT = 240_000;
const PATIENT = { mrn: 'MRN-00482913', name: 'Maria Gonzalez', dob: '1961-04-17' };
const UPLOADS = [
  { file: 'mrn-00482913-radiology-report.png', type: 'radiology-report', title: 'Chest radiograph two views' },
  { file: 'mrn-00482913-discharge-summary.tif', type: 'discharge-summary', title: 'Discharge summary pneumonia' },
  { file: 'mrn-00482913-immunization-record.pdf', type: 'immunization-record', title: 'Immunization record' },
];
const HOSTILE = 'not-a-pdf.pdf';

describeInBrowser('the web app in a browser', () => {
  let t: TestApp;
  let browser: Browser;
  let recordPath = '';

  beforeAll(async () => {
    t = await startApp(undefined, { MEDREC_OCR_IN_PROCESS: 'true' });
    await usersByRole(t.baseUrl);
    browser = await launchBrowser();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  async function signIn(page: Page, username: string, password = PASSWORD): Promise<void> {
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
  }

  async function expectAccessible(page: Page, screen: string): Promise<void> {
    await screenshot(page, screen);
    expect({ screen, violations: await accessibilityViolations(page) }).toEqual({ screen, violations: [] });
  }

  it(
    'a clerk uploads three scans and a hostile file through the form: the three become "OCR done", the hostile one is refused with its reason',
    async () => {
      const { page, consoleErrors } = await newPage(browser);
      await page.goto(`${t.baseUrl}/upload`);
      await expectAccessible(page, '01-sign-in');
      await signIn(page, 'clerk1');
      await page.getByRole('heading', { name: 'Upload scans' }).waitFor();

      await page.getByLabel('Files').setInputFiles([...UPLOADS.map((u) => join(SCANS, u.file)), join(BAD_INPUTS, HOSTILE)]);
      const first = page.getByRole('group', { name: /^File 1:/ });
      await first.getByLabel('MRN').fill(PATIENT.mrn);
      await first.getByLabel('Patient name').fill(PATIENT.name);
      await first.getByLabel('Date of birth').fill(PATIENT.dob);
      await first.getByLabel('Document type').selectOption('radiology-report');
      await first.getByLabel('Title').fill('x');
      await page.getByRole('button', { name: 'Apply to all' }).click();
      for (const [i, upload] of [...UPLOADS, { type: 'other', title: 'Hostile file' }].entries()) {
        const group = page.getByRole('group', { name: new RegExp(`^File ${i + 1}:`) });
        await group.getByLabel('Document type').selectOption(upload.type);
        await group.getByLabel('Title').fill(upload.title);
      }
      await expectAccessible(page, '02-upload-filled');
      await page.getByRole('button', { name: 'Upload', exact: true }).click();

      await page.getByText(/^Refused: /).waitFor({ timeout: 30_000 });
      const refusal = await page.getByText(/^Refused: /).textContent();
      // The reason in words (the server's problem detail), not a status code.
      expect(refusal).toMatch(/^Refused: .*(PDF|type|content|file)/i);
      await page
        .getByText('OCR done')
        .nth(UPLOADS.length - 1)
        .waitFor({ timeout: OCR_TIMEOUT });
      expect(await page.getByText('OCR done').count()).toBe(UPLOADS.length);
      await expectAccessible(page, '03-upload-done');
      // The browser logs every refused request ("Failed to load resource"); anything else is the app's own error.
      expect(consoleErrors.filter((e) => !e.startsWith('Failed to load resource'))).toEqual([]);
    },
    OCR_TIMEOUT + 60_000,
  );

  it('a clinician chooses a purpose, finds a record by a phrase of its text, opens it and sees the page image with the hit highlighted', async () => {
    const { page } = await newPage(browser);
    await page.goto(`${t.baseUrl}/search`);
    await signIn(page, 'clinician1');
    await page.getByLabel('Purpose of use').waitFor();
    await expectAccessible(page, '04-purpose');
    await page.getByLabel('Purpose of use').selectOption('treatment');
    await page.getByRole('button', { name: 'Continue' }).click();

    await page.getByLabel('Search records').fill('"focal consolidation"');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    const result = page.getByRole('link', { name: 'Chest radiograph two views' });
    await result.waitFor();
    expect(page.url()).toContain('q=%22focal+consolidation%22');
    expect(await page.locator('.results mark').first().textContent()).toMatch(/focal|consolidation/i);
    await expectAccessible(page, '05-search-results');

    await result.click();
    await page.getByRole('heading', { level: 1, name: 'Chest radiograph two views' }).waitFor();
    recordPath = new URL(page.url()).pathname;
    await page.getByRole('img', { name: /Page 1 of the scanned document/ }).waitFor({ timeout: 30_000 });
    await page.locator('.word-box').first().waitFor({ timeout: 10_000 });
    expect(await page.locator('.word-box').count()).toBeGreaterThanOrEqual(2);
    for (const section of ['Versions', 'Text']) await page.getByRole('heading', { level: 2, name: section }).waitFor();
    await expectAccessible(page, '06-record');
  });

  it(
    'HIM amends the record with a new scan after a confirmation, and the diff shows the changed words',
    async () => {
      const { page } = await newPage(browser);
      await page.goto(`${t.baseUrl}${recordPath}`);
      await signIn(page, 'him1');
      await page.getByLabel('Purpose of use').selectOption('operations');
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.getByRole('heading', { level: 1, name: 'Chest radiograph two views' }).waitFor();

      await page.getByLabel('Kind of amendment').selectOption('correction');
      await page.getByLabel('Reason', { exact: true }).fill('Wrong scan attached: replaced with the signed report');
      await page.getByLabel('New scan').setInputFiles(join(SCANS, 'mrn-00482913-progress-note.jpg'));
      await page.getByRole('button', { name: 'Amend…' }).click();
      const dialog = page.getByRole('dialog', { name: 'Add version 2?' });
      await dialog.waitFor();
      expect(await dialog.textContent()).toContain('Version 1 and every earlier version stay readable and unchanged');
      await expectAccessible(page, '07-amend-confirm');
      await dialog.getByRole('button', { name: 'Add the new version' }).click();
      await page.getByText('Version 2 added. Version 1 stays as it was.').waitFor();

      // The record follows its OCR status live; the diff is over the recognised text.
      await page
        .getByRole('row', { name: /^2 correction/ })
        .getByText('OCR done')
        .waitFor({ timeout: OCR_TIMEOUT });
      await page.getByLabel('From version').selectOption('1');
      await page.getByLabel('To version').selectOption('2');
      await page.getByRole('button', { name: 'Compare' }).click();
      await page.locator('.diff ins').first().waitFor();
      expect(await page.locator('.diff del').count()).toBeGreaterThan(0);
      expect(await page.locator('.diff ins').allTextContents()).toEqual(expect.arrayContaining([expect.stringMatching(/metformin|glucose|appetite/i)]));
      await expectAccessible(page, '08-diff');
    },
    OCR_TIMEOUT + 60_000,
  );

  it('legal sees both versions and the amendment in "History"', async () => {
    const { page } = await newPage(browser, { width: 1920, height: 1080 });
    await page.goto(`${t.baseUrl}${recordPath}`);
    await signIn(page, 'legal1');
    await page.getByRole('heading', { level: 2, name: 'History' }).waitFor();
    const history = page.locator('.timeline');
    await history.getByText(/Version 2 \(correction\)/).waitFor();
    expect(await page.getByRole('table').first().getByRole('row').count()).toBe(3);
    await expectAccessible(page, '09-history');
  });

  it('an admin manages users; the screens a role may not use are not offered', async () => {
    const { page } = await newPage(browser);
    await page.goto(`${t.baseUrl}/`);
    await signIn(page, 'admin', ADMIN_PASSWORD);
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents()).toEqual(['Users']);
    await page.getByLabel('Username', { exact: true }).fill('new.clerk');
    await page.getByLabel('Password', { exact: true }).fill('a long enough passphrase');
    await page.getByLabel('clerk', { exact: true }).check();
    await page.getByRole('button', { name: 'Create user' }).click();
    await page.getByRole('status').filter({ hasText: 'Created new.clerk (clerk).' }).waitFor();
    await page.getByRole('cell', { name: 'new.clerk', exact: true }).waitFor();
    await expectAccessible(page, '10-users');
  });

  it('works with the keyboard alone: sign in, choose a purpose, search, open a result', async () => {
    const { page } = await newPage(browser);
    await page.goto(`${t.baseUrl}/search`);
    const focused = async () => ((await page.locator(':focus').count()) > 0 ? ((await page.locator(':focus').textContent()) ?? '') : '');
    const focusedId = () => page.locator(':focus').getAttribute('id');
    // The username field has the focus on arrival.
    await page.keyboard.type('clinician1');
    await page.keyboard.press('Tab');
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByLabel('Purpose of use').waitFor();
    await page.keyboard.press('Tab');
    expect(await focusedId()).toBe('purpose');
    await page.keyboard.type('Treatment');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.getByLabel('Search records').waitFor();
    await page.keyboard.press('Tab');
    expect(await focusedId()).toBe('q');
    await page.keyboard.type('pneumonia');
    await page.keyboard.press('Enter');
    await page.getByRole('link', { name: 'Discharge summary pneumonia' }).waitFor();
    for (let i = 0; i < 40 && (await focused()) !== 'Discharge summary pneumonia'; i++) await page.keyboard.press('Tab');
    expect(await focused()).toBe('Discharge summary pneumonia');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Discharge summary pneumonia' }).waitFor();
    // Focus moved to the new screen's heading, so the next Tab starts there.
    expect(await page.locator('h1:focus').count()).toBe(1);
  });
});
