import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ADMIN_PASSWORD, PASSWORD, purpose, recordForm, startApp, TestApp, usersByRole } from '../e2e/support/harness';
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

  let users: Awaited<ReturnType<typeof usersByRole>>;
  const clients = async () => users;

  beforeAll(async () => {
    t = await startApp(undefined, { MEDREC_OCR_IN_PROCESS: 'true' });
    users = await usersByRole(t.baseUrl);
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

      // A release from the record, confirmed in words, lands in the patient's accounting of disclosures.
      await page.getByLabel('Recipient', { exact: true }).fill('Dr. Ellen Sattler');
      await page.getByLabel('Purpose of the release').fill('continuing care');
      await page.getByLabel('Authorization reference').fill('AUTH-2026-77');
      await page.getByLabel('What is released').fill('Chest radiograph, corrected');
      await page.getByRole('button', { name: 'Release…' }).click();
      await page.getByRole('dialog', { name: 'Release this record?' }).getByRole('button', { name: 'Record the release' }).click();
      await page.getByText(/^Version 2 released to Dr\. Ellen Sattler/).waitFor();
      // The accounting is a read model: the screen does not hand its position on, so wait for it to catch up.
      const released = expect.arrayContaining([expect.objectContaining({ recipient: expect.objectContaining({ name: 'Dr. Ellen Sattler' }), versions: [2] })]);
      const deadline = Date.now() + 5000;
      let disclosures = await users.him.get(`/api/patients/${PATIENT.mrn}/disclosures`, purpose('operations'));
      while (disclosures.body.disclosures.length === 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        disclosures = await users.him.get(`/api/patients/${PATIENT.mrn}/disclosures`, purpose('operations'));
      }
      expect(disclosures.body.disclosures).toEqual(released);
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
    // Legal reads who saw the record, and takes the history report for the court.
    await page.getByRole('heading', { name: 'Access log' }).waitFor();
    await page
      .getByRole('table', { name: /^Accesses to the record/ })
      .getByRole('cell', { name: 'clinician1 (clinician)' })
      .first()
      .waitFor();
    await page.getByRole('button', { name: 'Download the history report (PDF)' }).click();
    await page.getByRole('link', { name: /^Save history-report-.*\.pdf again/ }).waitFor();
    await expectAccessible(page, '09-history');
  });

  it('an archivist runs a disposal batch to its certificate: due list, dry run with the held record excluded, approval by a second archivist, execution', async () => {
    const u = await clients();
    const due: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await u.clerk.request('POST', '/api/records', {
        form: recordForm({ mrn: 'MRN-31337', encounterDate: '2001-02-03', title: `Old note ${i}` }),
      });
      expect(res.status).toBe(201);
      due.push(res.body.id);
    }
    const hold = await u.legal.post(`/api/records/${due[2]}/holds`, { matter: 'Doe v. General Hospital', reason: 'Litigation' });
    expect(hold.status).toBe(201);

    const { page } = await newPage(browser);
    await page.goto(`${t.baseUrl}/disposal`);
    await signIn(page, 'archivist1');
    await page.getByRole('button', { name: 'Show due records' }).click();
    await page.getByText(/records due, 1 of them held\./).waitFor();
    await page.getByLabel('Retention authority').fill('State schedule GS-4 item 12');
    await page.getByRole('button', { name: 'Dry run' }).click();
    await page.getByText('The batch would destroy 2 records; 1 are excluded.').waitFor();
    await page.getByText(`${due[2]}: under legal hold (Doe v. General Hospital)`).waitFor();
    await expectAccessible(page, '11-disposal-dry-run');
    await page.getByRole('button', { name: 'Propose this batch…' }).click();
    await page.getByRole('dialog', { name: 'Propose this disposal batch?' }).getByRole('button', { name: 'Propose the batch' }).click();
    await page.getByText('You proposed this batch: someone else must approve it.').waitFor();
    const batchUrl = page.url();
    expect(await page.getByRole('button', { name: 'Approve…' }).count()).toBe(0);

    const second = (await newPage(browser)).page;
    await second.goto(batchUrl);
    await signIn(second, 'archivist2');
    await second.getByRole('button', { name: 'Approve…' }).click();
    await second.getByRole('dialog', { name: 'Approve this disposal batch?' }).getByRole('button', { name: 'Approve the batch' }).click();
    await second.locator('#main dd').getByText('archivist2', { exact: true }).waitFor();

    await page.reload();
    await signIn(page, 'archivist1');
    await page.getByRole('button', { name: 'Execute…' }).click();
    const confirm = page.getByRole('dialog', { name: 'Destroy these records now?' });
    expect(await confirm.textContent()).toContain('cannot be read or reconstructed');
    await confirm.getByRole('button', { name: 'Destroy 2 records' }).click();
    await page.getByText('2 records destroyed, 0 skipped. The certificate of destruction is issued.').waitFor({ timeout: 60_000 });
    // The batch list (a read model) is read after the execution's position: it already says so.
    await page
      .getByRole('table')
      .filter({ has: page.getByRole('columnheader', { name: 'Proposed' }) })
      .getByRole('cell', { name: 'executed', exact: true })
      .waitFor();
    await page.getByRole('button', { name: 'Prepare the certificate (PDF)' }).first().click();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Save the certificate (PDF)' }).first().click()]);
    const pdf = await download.createReadStream().then(
      (stream) =>
        new Promise<Buffer>((resolve, reject) => {
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => resolve(Buffer.concat(chunks)));
          stream.on('error', reject);
        }),
    );
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    await expectAccessible(page, '12-disposal-executed');
    for (const id of due.slice(0, 2)) expect((await u.clinician.get(`/api/records/${id}`, purpose('treatment'))).status).toBe(410);
    expect((await u.clinician.get(`/api/records/${due[2]}`, purpose('treatment'))).status).toBe(200);
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
    await page.getByRole('button', { name: 'Change the roles of new.clerk' }).click();
    await page.getByRole('group', { name: 'Roles of new.clerk' }).getByLabel('auditor').check();
    await page.getByRole('button', { name: 'Save the roles of new.clerk' }).click();
    await page.getByRole('cell', { name: /^clerk, auditor/ }).waitFor();
    await expectAccessible(page, '10-users');
  });

  it('a 401 mid-session (the account deactivated) brings the sign-in form back with a notice, and signing in again returns to the same screen', async () => {
    const created = await users.admin.post('/api/users', { username: 'nurse.lapse', password: PASSWORD, roles: ['clinician'] });
    expect(created.status).toBe(201);
    const { page } = await newPage(browser);
    await page.goto(`${t.baseUrl}/search?q=pneumonia`);
    await signIn(page, 'nurse.lapse');
    await page.getByLabel('Purpose of use').selectOption('treatment');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('link', { name: 'Discharge summary pneumonia' }).waitFor();

    expect((await users.admin.request('PATCH', `/api/users/${created.body.id}`, { json: { active: false } })).status).toBe(200);
    // The server re-reads its users directory at most every MEDREC_USER_REFRESH_MS (1 s by default).
    await page.waitForTimeout(1500);
    await page.getByLabel('Search records').fill('immunization');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Your session has ended. Sign in again to continue.' }).waitFor();
    expect(new URL(page.url()).searchParams.get('q')).toBe('immunization');

    expect((await users.admin.request('PATCH', `/api/users/${created.body.id}`, { json: { active: true } })).status).toBe(200);
    await signIn(page, 'nurse.lapse');
    await page.getByLabel('Purpose of use').selectOption('treatment');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('link', { name: 'Immunization record' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/search');
  });

  it('works with the keyboard alone: sign in, choose a purpose, search, open a result', async () => {
    const { page } = await newPage(browser);
    await page.goto(`${t.baseUrl}/search`);
    const focused = async () => ((await page.locator(':focus').count()) > 0 ? ((await page.locator(':focus').textContent()) ?? '') : '');
    const focusedId = () => page.locator(':focus').getAttribute('id');
    // The username field has the focus on arrival.
    await page.locator('#username:focus').waitFor();
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

describeInBrowser('a session in the browser', () => {
  let t: TestApp;
  let browser: Browser;

  beforeAll(async () => {
    // Tokens that live 10 seconds: the app must renew them on its own, before they expire.
    t = await startApp(undefined, { MEDREC_TOKEN_TTL_SECONDS: '10' });
    const u = await usersByRole(t.baseUrl);
    expect((await u.clerk.request('POST', '/api/records', { form: recordForm({ title: 'Renewal check note' }) })).status).toBe(201);
    browser = await launchBrowser();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('renews its token before it expires: still signed in and reading after the first token has expired', async () => {
    const { page } = await newPage(browser);
    const renewals: number[] = [];
    page.on('response', (res) => {
      if (res.url().endsWith('/api/auth/token/renew')) renewals.push(res.status());
    });
    await page.goto(`${t.baseUrl}/search`);
    await page.getByLabel('Username').fill('clinician1');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByLabel('Purpose of use').selectOption('treatment');
    await page.getByRole('button', { name: 'Continue' }).click();
    // Past the first token's expiry (10 s) and the second's renewal.
    await page.waitForTimeout(17_000);
    await page.getByLabel('MRN').fill('00482913');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByRole('link', { name: 'Renewal check note' }).waitFor();
    expect(renewals.length).toBeGreaterThanOrEqual(2);
    expect(renewals.every((status) => status === 200)).toBe(true);
    expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(1);
  });
});
