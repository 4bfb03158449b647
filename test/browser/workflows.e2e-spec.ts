import { readFileSync } from 'node:fs';
import type { Browser, Download, Page } from 'playwright-core';
import { headPosition } from '../e2e/support/configured-app';
import { PASSWORD, purpose, recordForm, startApp, TestApp, usersByRole } from '../e2e/support/harness';
import { sameUtcDayFor } from '../e2e/support/utc-day';
import { accessibilityViolations, browserTestsUnavailable, launchBrowser, newPage, screenshot } from './support/browser';

/**
 * The workflow screens in a real browser against the real server: HIM's requests (release of
 * information and amendment), legal holds by matter, and the auditor's review of emergency
 * accesses. Records, the overdue request and the emergency read are made over HTTP (faster than
 * the UI); what the screens did is then checked over HTTP too. Every screen is checked with axe-core.
 */
const unavailable = browserTestsUnavailable();
if (unavailable) {
  console.warn(`\n!!!!!!!! BROWSER TESTS SKIPPED: ${unavailable} !!!!!!!!\n`);
}
const describeInBrowser = unavailable ? describe.skip : describe;
jest.setTimeout(120_000);

type Users = Awaited<ReturnType<typeof usersByRole>>;
const PATIENT = { mrn: 'MRN-00777001', patientName: 'Ada Lindqvist', dateOfBirth: '1958-09-02' };
const OTHER = { mrn: 'MRN-00777002', patientName: 'Tomas Brandt', dateOfBirth: '1972-01-23' };
const MATTER = 'Lindqvist v. County General';
const JUSTIFICATION = 'Unconscious patient in the emergency department, allergies unknown';
const SEARCH_JUSTIFICATION = 'Looking for any recorded drug allergy before sedation';
const day = (offset = 0): string => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

describeInBrowser('the workflow screens in a browser', () => {
  let t: TestApp;
  let u: Users;
  let browser: Browser;
  let charts: string[] = [];
  let overdueId = '';
  let amendmentId = '';
  let acceptedId = '';

  async function createRecord(fields: Record<string, string>): Promise<string> {
    const res = await u.clerk.request('POST', '/api/records', { form: recordForm(fields) });
    if (res.status !== 201) throw new Error(`fixture record: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.id;
  }

  beforeAll(async () => {
    // The emergency search below is listed later by its day (the Audit screen's day defaults to today).
    await sameUtcDayFor(5 * 60_000);
    t = await startApp(undefined, { MEDREC_OCR_IN_PROCESS: 'true' });
    u = await usersByRole(t.baseUrl);
    charts = [
      await createRecord({ ...PATIENT, documentType: 'correspondence', title: 'Letter to the family doctor' }),
      await createRecord({ ...PATIENT, documentType: 'lab-report', title: 'Lipid panel' }),
    ];
    const otherChart = await createRecord({ ...OTHER, documentType: 'progress-note', title: 'Follow-up visit' });

    // A release request received 40 days ago: 10 days past its due day.
    const overdue = await u.him.post('/api/release-requests', {
      mrn: OTHER.mrn,
      requester: OTHER.patientName,
      recipient: { name: 'Brandt Family Law' },
      purpose: 'personal use',
      recordIds: [otherChart],
      authorizationReference: 'AUTH-OLD-1',
      authorizationExpires: day(60),
      receivedAt: day(-40),
    });
    expect(overdue.status).toBe(201);
    overdueId = overdue.body.id;

    const amendment = await u.him.post('/api/amendment-requests', {
      recordId: charts[0],
      requestedChange: 'The letter gives the wrong date of my operation',
      receivedAt: day(-5),
    });
    expect(amendment.status).toBe(201);
    amendmentId = amendment.body.id;
    const toAccept = await u.him.post('/api/amendment-requests', { recordId: charts[1], requestedChange: 'Add my new address', receivedAt: day(-2) });
    expect(toAccept.status).toBe(201);
    acceptedId = toAccept.body.id;

    // Break the glass: a clinician reads a chart declaring an emergency.
    const read = await u.clinician.get(`/api/records/${charts[1]}`, { ...purpose('emergency'), 'x-emergency-justification': JUSTIFICATION });
    expect(read.status).toBe(200);
    // And searches the charts in the emergency, also saying why.
    const search = await u.clinician.get(`/api/search?q=allergies`, { ...purpose('emergency'), 'x-emergency-justification': SEARCH_JUSTIFICATION });
    expect(search.status).toBe(200);

    // The screens read the lists without ?after=: let the read models reach every write above first.
    const after = await headPosition(t.baseUrl);
    expect((await u.him.get(`/api/release-requests?after=${after}`)).body.requests).toHaveLength(1);
    expect((await u.auditor.get(`/api/audit/emergency-access?after=${after}`)).body.accesses).toHaveLength(1);
    expect((await u.auditor.get(`/api/audit/emergency-searches?after=${after}`)).body.searches).toHaveLength(1);
    expect((await u.clerk.get(`/api/search?mrn=${PATIENT.mrn}&after=${after}`, purpose('operations'))).body.results).toHaveLength(2);

    browser = await launchBrowser();
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  async function signIn(page: Page, username: string): Promise<void> {
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
  }

  async function expectAccessible(page: Page, screen: string): Promise<void> {
    await screenshot(page, screen);
    expect({ screen, violations: await accessibilityViolations(page) }).toEqual({ screen, violations: [] });
  }

  async function downloaded(page: Page, click: () => Promise<void>): Promise<{ download: Download; bytes: Buffer }> {
    const [download] = await Promise.all([page.waitForEvent('download'), click()]);
    const path = await download.path();
    return { download, bytes: readFileSync(path) };
  }

  const mainNav = (page: Page) => page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents();

  it('HIM sees the overdue request first, registers a release request picking the records by MRN, fulfils it after the confirmation, and downloads the package', async () => {
    const { page, consoleErrors } = await newPage(browser, { width: 1440, height: 900 });
    await page.goto(`${t.baseUrl}/requests`);
    await signIn(page, 'him1');
    await page.getByLabel('Purpose of use').selectOption('patient-request');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { level: 1, name: 'Requests' }).waitFor();
    expect(await mainNav(page)).toEqual(['Upload', 'Review', 'Search', 'Disposal', 'Requests']);

    const releases = page.getByRole('table', { name: 'Release of information' });
    await releases.getByRole('row').nth(1).waitFor();
    const firstRow = releases.getByRole('row').nth(1);
    expect(await firstRow.textContent()).toContain(OTHER.mrn);
    expect(await firstRow.textContent()).toContain('Overdue');
    expect(await firstRow.textContent()).toContain(day(-10));
    await expectAccessible(page, '20-requests');

    await page.getByLabel('MRN', { exact: true }).fill(PATIENT.mrn);
    await page.getByLabel('Requester').fill(PATIENT.patientName);
    await page.getByLabel('Recipient name').fill('Dr. Okafor, Riverside Cardiology');
    await page.getByLabel('Recipient address').fill('12 Mill Lane, Riverside');
    await page.getByLabel('Purpose of the release').fill('continuing care');
    await page.getByLabel('Authorization reference').fill('AUTH-2026-0042');
    await page.getByLabel('Authorization expires').fill(day(90));
    expect(await page.getByLabel('Received').first().inputValue()).toBe(day());
    await page.getByRole('button', { name: "Find the patient's records" }).click();
    await page.getByLabel(/^Letter to the family doctor/).check();
    await page.getByLabel(/^Lipid panel/).check();
    await expectAccessible(page, '21-release-request-filled');
    await page.getByRole('button', { name: 'Register the request' }).first().click();
    await page
      .getByRole('status')
      .filter({ hasText: `Release request for ${PATIENT.mrn} registered: due ${day(30)}.` })
      .waitFor();

    // Still overdue first; the new request after it.
    const newRow = releases.getByRole('row').filter({ hasText: PATIENT.mrn });
    await newRow.waitFor();
    expect(await releases.getByRole('row').nth(1).textContent()).toContain(OTHER.mrn);
    expect(await newRow.textContent()).not.toContain('Overdue');

    await page.getByRole('button', { name: `Fulfil the request for ${PATIENT.mrn}…` }).click();
    const dialog = page.getByRole('dialog', { name: `Fulfil the release request for ${PATIENT.mrn}?` });
    await dialog.getByText('Dr. Okafor, Riverside Cardiology').first().waitFor();
    const said = await dialog.textContent();
    expect(said).toContain('these 2 records');
    for (const id of charts) expect(said).toContain(id);
    expect(said).toContain('recorded as a disclosure');
    await expectAccessible(page, '22-fulfil-confirm');
    await dialog.getByRole('button', { name: 'Release the records' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `The request for ${PATIENT.mrn} is fulfilled` })
      .waitFor();
    // The list is read again as of the fulfilment (?after=), then shows the new status.
    await newRow.getByRole('cell', { name: 'Fulfilled', exact: true }).waitFor();

    const { download, bytes } = await downloaded(page, () => page.getByRole('button', { name: `Download the package for ${PATIENT.mrn}` }).click());
    expect(download.suggestedFilename()).toMatch(/^release-[0-9a-f-]{36}\.zip$/);
    expect(bytes.subarray(0, 4).toString('latin1')).toBe('PK\u0003\u0004');
    await page.getByRole('link', { name: /^Save release-.*\.zip again/ }).waitFor();
    await expectAccessible(page, '23-release-fulfilled');

    // What the screen did, over HTTP: each record's release is accounted for, and the package read was audited.
    const disclosures = await u.him.get(`/api/patients/${PATIENT.mrn}/disclosures?after=${await headPosition(t.baseUrl)}`, purpose('operations'));
    expect(disclosures.body.disclosures.map((d: { recordId: string }) => d.recordId).sort()).toEqual([...charts].sort());
    expect(disclosures.body.disclosures[0]).toMatchObject({ recipient: { name: 'Dr. Okafor, Riverside Cardiology' }, releasedBy: 'him1' });
    const accesses = await u.auditor.get(`/api/records/${charts[0]}/accesses?after=${await headPosition(t.baseUrl)}`, purpose('audit'));
    expect(accesses.body.accesses).toEqual(expect.arrayContaining([expect.objectContaining({ actor: 'him1', what: 'content', purpose: 'patient-request' })]));
    // The overdue request was left alone.
    expect((await u.him.get(`/api/release-requests/${overdueId}`)).body.status).toBe('open');
    expect(consoleErrors.filter((e) => !e.startsWith('Failed to load resource'))).toEqual([]);
  });

  it("a refusal is shown in words: fulfilling under an expired authorization shows the server's reason, and nothing is released", async () => {
    const expired = { mrn: 'MRN-00777003', patientName: 'Ines Moreau', dateOfBirth: '1990-06-30' };
    const chart = await createRecord({ ...expired, documentType: 'progress-note', title: 'Clinic note' });
    const res = await u.him.post('/api/release-requests', {
      mrn: expired.mrn,
      requester: expired.patientName,
      recipient: { name: 'Moreau Insurance' },
      purpose: 'insurance claim',
      recordIds: [chart],
      authorizationReference: 'AUTH-EXPIRED',
      authorizationExpires: day(-3),
      receivedAt: day(-4),
    });
    expect(res.status).toBe(201);
    await u.him.get(`/api/release-requests?after=${res.body.position}`);

    const { page } = await newPage(browser, { width: 1440, height: 900 });
    await page.goto(`${t.baseUrl}/requests`);
    await signIn(page, 'him1');
    await page.getByLabel('Purpose of use').selectOption('patient-request');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: `Fulfil the request for ${expired.mrn}…` }).click();
    const dialog = page.getByRole('dialog', { name: `Fulfil the release request for ${expired.mrn}?` });
    await dialog.getByText('Moreau Insurance').first().waitFor();
    await dialog.getByRole('button', { name: 'Release the records' }).click();
    await dialog
      .getByRole('alert')
      .filter({ hasText: `The authorization expired on ${day(-3)}: nothing can be released under it` })
      .waitFor();
    await expectAccessible(page, '24-fulfil-refused');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect((await u.him.get(`/api/release-requests/${res.body.id}`)).body).toMatchObject({ status: 'open', package: null });
  });

  it("HIM denies an amendment request, then files the patient's disagreement and a rebuttal, and accepts another, each confirmed in words", async () => {
    const { page } = await newPage(browser, { width: 1440, height: 900 });
    await page.goto(`${t.baseUrl}/requests`);
    await signIn(page, 'him1');
    await page.getByLabel('Purpose of use').selectOption('operations');
    await page.getByRole('button', { name: 'Continue' }).click();
    const amendments = page.getByRole('table', { name: 'Amendment requests' });
    const row = amendments.getByRole('row').filter({ hasText: charts[0] });
    await row.waitFor();
    expect(await row.textContent()).toContain(day(55));

    const steps = [
      {
        button: 'Deny…',
        field: 'Reason for the denial',
        text: 'The letter is accurate as written',
        title: 'Deny the amendment request?',
        confirm: 'Deny',
        status: 'Denied',
      },
      {
        button: 'File disagreement…',
        field: "The patient's statement",
        text: 'I was operated on in May, not June',
        title: "File the patient's statement of disagreement?",
        confirm: 'File disagreement',
        status: "Patient's disagreement filed",
      },
      {
        button: 'File rebuttal…',
        field: 'Rebuttal statement',
        text: 'The theatre log confirms June',
        title: 'File a rebuttal?',
        confirm: 'File rebuttal',
        status: 'Rebuttal filed',
      },
    ];
    for (const [i, step] of steps.entries()) {
      await row.getByRole('button', { name: new RegExp(`^${step.button}`) }).click();
      // The form opened from the row takes the focus: the keyboard goes on from there.
      expect(await page.getByLabel(step.field, { exact: true }).getAttribute('id')).toBe('step-text');
      await page.waitForFunction("document.activeElement?.id === 'step-text'", undefined, { timeout: 5_000 });
      await page.keyboard.type(step.text);
      await page.getByRole('button', { name: step.button, exact: true }).click();
      const dialog = page.getByRole('dialog', { name: step.title });
      await dialog.waitFor();
      expect(await dialog.textContent()).toMatch(/filed on the record.*travels with every later release/);
      if (i === 0) await expectAccessible(page, '25-amendment-deny-confirm');
      await dialog.getByRole('button', { name: step.confirm, exact: true }).click();
      await row.getByRole('cell', { name: step.status, exact: true }).waitFor();
    }
    expect(await row.getByRole('button').count()).toBe(0);
    await expectAccessible(page, '26-amendment-rebutted');

    const request = await u.him.get(`/api/amendment-requests/${amendmentId}`);
    expect(request.body).toMatchObject({
      status: 'rebuttal-filed',
      denied: { by: 'him1' },
      disagreement: { by: 'him1' },
      rebuttal: { by: 'him1' },
    });

    // Another request is accepted: a patient-requested version without a new scan (multipart, file optional).
    const other = amendments.getByRole('row').filter({ hasText: charts[1] });
    await other.getByRole('button', { name: /^Accept…/ }).click();
    await page.getByLabel('Reason for the amendment', { exact: true }).fill('Address corrected at the patient’s request');
    await page.getByRole('button', { name: 'Accept…', exact: true }).click();
    const accept = page.getByRole('dialog', { name: 'Accept the amendment request?' });
    expect(await accept.textContent()).toContain('No new scan: the current pages are kept.');
    await accept.getByRole('button', { name: 'Accept', exact: true }).click();
    await other.getByRole('cell', { name: 'Accepted (amended)', exact: true }).waitFor();
    expect((await u.him.get(`/api/amendment-requests/${acceptedId}`)).body).toMatchObject({ status: 'accepted', accepted: { by: 'him1', version: 2 } });
  });

  it('legal places a hold by matter over two records and lifts it, each confirmed in words', async () => {
    const { page } = await newPage(browser, { width: 1440, height: 900 });
    await page.goto(`${t.baseUrl}/holds`);
    await signIn(page, 'legal1');
    await page.getByRole('heading', { level: 1, name: 'Legal holds' }).waitFor();
    expect(await mainNav(page)).toEqual(['Search', 'Requests', 'Holds']);
    await page.getByText('No legal hold stands.').waitFor();

    await page.getByLabel('Matter').fill(MATTER);
    await page.getByLabel('Reason for the hold').fill('Litigation expected: preserve the cardiology records');
    await page.getByLabel('Record ids').fill(charts.join('\n'));
    await page.getByRole('button', { name: 'Place the hold…' }).click();
    const place = page.getByRole('dialog', { name: `Place a legal hold for ${MATTER}?` });
    expect(await place.textContent()).toContain('The hold covers the 2 records named. While it stands, none of them can be destroyed');
    await place.getByRole('button', { name: 'Place the hold' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `The hold for ${MATTER} is placed on 2 records.` })
      .waitFor();
    const standing = page.getByRole('table', { name: 'Standing holds' });
    await standing.getByRole('row').filter({ hasText: MATTER }).waitFor();
    for (const id of charts) await standing.getByRole('link', { name: id }).waitFor();
    await expectAccessible(page, '27-holds');
    for (const id of charts)
      expect((await u.legal.get(`/api/records/${id}?after=${await headPosition(t.baseUrl)}`, purpose('legal'))).body.holds).toHaveLength(1);

    await page.getByRole('button', { name: `Lift the hold for ${MATTER}…` }).click();
    const lift = page.getByRole('dialog', { name: `Lift the hold for ${MATTER}?` });
    expect(await lift.textContent()).toContain('is lifted from all 2 of its records');
    await expectAccessible(page, '28-hold-lift-confirm');
    await lift.getByRole('button', { name: 'Lift the hold' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `The hold for ${MATTER} is lifted.` })
      .waitFor();
    await page.getByRole('table', { name: 'Lifted holds' }).getByRole('row').filter({ hasText: MATTER }).waitFor();
    await page.getByText('No legal hold stands.').waitFor();
    for (const id of charts) expect((await u.legal.get(`/api/records/${id}?after=${await headPosition(t.baseUrl)}`, purpose('legal'))).body.holds).toEqual([]);
  });

  it("an auditor reviews the emergency access and the emergency search, which leave their lists, and reads the record's access log, history report and the day's searches", async () => {
    const { page, consoleErrors } = await newPage(browser, { width: 1440, height: 900 });
    await page.goto(`${t.baseUrl}/audit`);
    await signIn(page, 'auditor1');
    await page.getByRole('heading', { level: 1, name: 'Audit' }).waitFor();
    expect(await mainNav(page)).toEqual(['Search', 'Disposal', 'Requests', 'Holds', 'Audit']);

    const list = page.getByRole('table', { name: 'Emergency accesses to review' });
    const row = list.getByRole('row').filter({ hasText: JUSTIFICATION });
    await row.waitFor();
    expect(await row.textContent()).toContain('clinician1');
    expect(await row.textContent()).toContain(charts[1]);
    await expectAccessible(page, '29-audit');

    await row.getByRole('button', { name: /^Review… the emergency access by clinician1/ }).click();
    await page.getByLabel('Review note').fill('Justified: the patient arrived unconscious; read limited to the lipid panel');
    await page.getByRole('button', { name: 'Record the review' }).click();
    await page.getByRole('status').filter({ hasText: 'The emergency access by clinician1 is reviewed; it leaves the list.' }).waitFor();
    await page.getByText('No emergency access is waiting for review.').waitFor();
    const left = await u.auditor.get(`/api/audit/emergency-access?after=${await headPosition(t.baseUrl)}`);
    expect(left.body.accesses).toEqual([]);

    // The emergency search is reviewed the same way, in its own list.
    const searches = page.getByRole('table', { name: 'Emergency searches to review' });
    const searchRow = searches.getByRole('row').filter({ hasText: SEARCH_JUSTIFICATION });
    expect(await searchRow.textContent()).toContain('“allergies”');
    await searchRow.getByRole('button', { name: /^Review… the emergency search by clinician1/ }).click();
    await page.getByLabel('Review note').fill('Justified: sedation was imminent and the patient could not answer');
    await page.getByRole('button', { name: 'Record the review' }).click();
    await page.getByRole('status').filter({ hasText: 'The emergency search by clinician1 is reviewed; it leaves the list.' }).waitFor();
    await page.getByText('No emergency search is waiting for review.').waitFor();
    const searchesLeft = await u.auditor.get(`/api/audit/emergency-searches?after=${await headPosition(t.baseUrl)}`);
    expect(searchesLeft.body.searches).toEqual([]);

    await page.getByLabel('Record id').fill(charts[1]);
    await page.getByRole('button', { name: 'Show accesses' }).click();
    const log = page.getByRole('table', { name: `Accesses to the record ${charts[1]}` });
    await log.getByRole('row').filter({ hasText: 'Emergency (break the glass)' }).filter({ hasText: 'clinician1' }).waitFor();
    // The log's own read is in it, declared for audit.
    await log.getByRole('row').filter({ hasText: 'auditor1' }).filter({ hasText: 'accesses' }).first().waitFor();

    const { download, bytes } = await downloaded(page, () => page.getByRole('button', { name: 'Download the history report (PDF)' }).click());
    expect(download.suggestedFilename()).toBe(`history-report-${charts[1]}.pdf`);
    expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    await expectAccessible(page, '30-audit-access-log');

    // The day's break-the-glass searches, with what was searched and why; showing them is audited.
    await page.getByLabel('Purpose').selectOption('emergency');
    await page.getByRole('button', { name: 'Show queries' }).click();
    const queries = page.getByRole('table', { name: /^Searches and reports on \d{4}-\d{2}-\d{2}$/ });
    const searched = queries.getByRole('row').filter({ hasText: SEARCH_JUSTIFICATION });
    await searched.waitFor();
    expect(await searched.textContent()).toContain('clinician1 (clinician)');
    expect(await searched.textContent()).toContain('Search: “allergies”');
    expect(await queries.getByRole('row').count()).toBe(2);
    const audited = await u.auditor.get('/api/audit/queries?kind=query-audit');
    expect(
      audited.body.queries.some((q: { actor: string; filters: { purpose?: string } }) => q.actor === 'auditor1' && q.filters.purpose === 'emergency'),
    ).toBe(true);
    await expectAccessible(page, '31-audit-queries');
    expect(consoleErrors.filter((e) => !e.startsWith('Failed to load resource'))).toEqual([]);
  });
});
