/**
 * bench:web — the web app as its users meet it. The built app's JavaScript and CSS (gzip) that a
 * first visit loads; then, in Debian's chromium (playwright-core, CHROME_PATH) against the embedded
 * app (a separate server process) holding BENCH_RECORDS (10 000) records: the time from pressing
 * "Search" to the results shown, and from opening a record to its first page image shown, each
 * against the same run's bare API call behind it (ratio: what the app adds). Targets: initial JS
 * <= 200 KB gzip, search <= 300 ms, first page image <= 500 ms. One JSON line.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { startServerProcess } from '../test/support/server-process';
import { call, signIn } from './support/call';

const RECORDS = Number(process.env.BENCH_RECORDS ?? 10_000);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 20);
const UPLOAD_CONCURRENCY = 8;
const CHROME_PATH = process.env.CHROME_PATH ?? '/usr/bin/chromium';
const ROOT = resolve(__dirname, __dirname.includes('/dist/') ? '../..' : '..');
const WEB = join(ROOT, 'dist/web');
const ADMIN_PASSWORD = 'bench-first-boot-secret';
const PASSWORD = 'bench-password-1';
const SCAN = join(ROOT, 'test/fixtures/scans/mrn-00482913-radiology-report.png');
/** Words the records' titles are made of: each search matches a slice of the records. */
const WORDS = ['cardiology', 'pulmonary', 'renal', 'hepatic', 'oncology', 'orthopedic', 'neurology', 'dermatology', 'pediatric', 'geriatric'];
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAAAAAA6mKC9AAAAGElEQVR4nGNgaEAF6HzaCTBg5dDfHSgSAOhufgEUIq2bAAAAAElFTkSuQmCC', 'base64');

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]);
};
const summary = (values: number[]) => ({ p50: percentile(values, 50), p95: percentile(values, 95), max: Math.round(Math.max(...values)) });

/** The gzip sizes (KB) of the scripts and styles index.html loads, and of every asset. */
function sizes(): { initialJsGzipKb: number; initialCssGzipKb: number; allAssetsGzipKb: number } {
  const html = readFileSync(join(WEB, 'index.html'), 'utf8');
  const referenced = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+)"/g)].map((m) => m[1]);
  const gz = (file: string) => gzipSync(readFileSync(join(WEB, file)), { level: 9 }).length / 1024;
  const sum = (files: string[]) => Math.round(files.reduce((n, f) => n + gz(f), 0) * 10) / 10;
  const assets = readdirSync(join(WEB, 'assets')).filter((f) => !f.endsWith('.map'));
  return {
    initialJsGzipKb: sum(referenced.filter((f) => f.endsWith('.js'))),
    initialCssGzipKb: sum(referenced.filter((f) => f.endsWith('.css'))),
    allAssetsGzipKb: sum(assets.map((f) => `assets/${f}`)),
  };
}

async function seed(baseUrl: string, clerk: string): Promise<string[]> {
  let next = 0;
  const scans: string[] = [];
  await Promise.all(
    Array.from({ length: UPLOAD_CONCURRENCY }, async () => {
      while (next < RECORDS) {
        const i = next++;
        // One record in 500 is a real scan (its page image is what the app shows); the rest are tiny.
        const real = i % 500 === 0;
        const form = new FormData();
        for (const [k, v] of Object.entries({
          mrn: `WB-${i % 2000}`,
          patientName: 'Bench Patient',
          dateOfBirth: '1950-01-01',
          documentType: 'progress-note',
          title: `${WORDS[i % WORDS.length]} follow-up ${real ? 'scan' : 'note'} ${i}`,
          allowDuplicate: 'true',
        }))
          form.append(k, v);
        form.append('file', new Blob([real ? readFileSync(SCAN) : Buffer.concat([PNG, Buffer.from(`web-${i}`)])]), 'scan.png');
        const { id } = await call<{ id: string }>(baseUrl, 'POST', '/api/records', clerk, form);
        if (real) scans.push(id);
      }
    }),
  );
  return scans;
}

async function main(): Promise<void> {
  if (!existsSync(join(WEB, 'index.html'))) throw new Error('dist/web is missing: run "npm run build" first');
  if (!existsSync(CHROME_PATH)) throw new Error(`no Chromium at ${CHROME_PATH} (apt-get install -y chromium, or set CHROME_PATH)`);
  const dataDir = mkdtempSync(join(tmpdir(), 'medrec-bench-web-'));
  const server = await startServerProcess(dataDir, { MEDREC_ADMIN_PASSWORD: ADMIN_PASSWORD, MEDREC_OCR_IN_PROCESS: 'false', MEDREC_TOKEN_TTL_SECONDS: '3600' });
  const browser = await chromium.launch({ executablePath: CHROME_PATH, args: ['--no-sandbox'] });
  try {
    const admin = await signIn(server.baseUrl, 'admin', ADMIN_PASSWORD);
    for (const [username, roles] of [
      ['bench.clerk', ['clerk']],
      ['bench.clinician', ['clinician']],
    ] as const) {
      await call(server.baseUrl, 'POST', '/api/users', admin, { username, password: PASSWORD, roles });
    }
    const clerk = await signIn(server.baseUrl, 'bench.clerk', PASSWORD);
    const clinician = await signIn(server.baseUrl, 'bench.clinician', PASSWORD);
    const seedStart = performance.now();
    const scans = await seed(server.baseUrl, clerk);
    const seedSeconds = (performance.now() - seedStart) / 1000;
    const head = (await call<{ position: number }>(server.baseUrl, 'GET', '/health/ready')).position;
    const treatment = { 'x-purpose-of-use': 'treatment' };
    await call(server.baseUrl, 'GET', `/api/search?q=cardiology&after=${head}`, clinician, undefined, treatment);

    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    await page.goto(`${server.baseUrl}/search`);
    await page.getByLabel('Username').fill('bench.clinician');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByLabel('Purpose of use').selectOption('treatment');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('Search records').waitFor();

    const searchUi: number[] = [];
    const searchApi: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const q = `${WORDS[i % WORDS.length]} ${i % 2 === 0 ? 'follow-up' : 'note'}`;
      const apiStart = performance.now();
      await call(server.baseUrl, 'GET', `/api/search?q=${encodeURIComponent(q)}&limit=20`, clinician, undefined, treatment);
      searchApi.push(performance.now() - apiStart);
      await page.getByLabel('Search records').fill(q);
      const start = performance.now();
      await page.getByRole('button', { name: 'Search', exact: true }).click();
      // Consecutive queries name different words, so a result titled with this one is this search's.
      await page
        .getByRole('list', { name: 'Search results' })
        .getByRole('link', { name: new RegExp(`^${WORDS[i % WORDS.length]} `) })
        .first()
        .waitFor();
      searchUi.push(performance.now() - start);
    }

    const imageUi: number[] = [];
    const imageApi: number[] = [];
    for (const id of scans.slice(0, Math.min(SAMPLES, scans.length))) {
      const apiStart = performance.now();
      const res = await fetch(`${server.baseUrl}/api/records/${id}/versions/1/pages/1/image`, {
        headers: { authorization: `Bearer ${clinician}`, ...treatment },
      });
      await res.arrayBuffer();
      imageApi.push(performance.now() - apiStart);
      await page.getByLabel('Search records').fill('scan');
      await page.getByRole('button', { name: 'Search', exact: true }).click();
      await page
        .getByRole('link', { name: / follow-up scan / })
        .first()
        .waitFor();
      const link = page.locator(`a[href^="/records/${id}"]`);
      for (let more = 0; (await link.count()) === 0 && more < 40; more++) await page.getByRole('button', { name: 'More results' }).click();
      const start = performance.now();
      await link.first().click();
      // The viewer's image has arrived and is decoded (a function evaluated by Playwright: the app's CSP forbids eval).
      const img = page.locator('.viewer img');
      await img.waitFor();
      while (!(await img.evaluate((el: { complete: boolean; naturalWidth: number }) => el.complete && el.naturalWidth > 0))) await page.waitForTimeout(5);
      imageUi.push(performance.now() - start);
      await page.goBack();
    }

    const search = summary(searchUi);
    const firstPageImage = summary(imageUi);
    console.log(
      JSON.stringify({
        bench: 'web',
        records: RECORDS,
        seedSeconds: Math.round(seedSeconds),
        ...sizes(),
        searchMs: search,
        searchApiMs: summary(searchApi),
        searchRatioUiToApi: Math.round((search.p50 / Math.max(1, summary(searchApi).p50)) * 100) / 100,
        firstPageImageMs: firstPageImage,
        pageImageApiMs: summary(imageApi),
        firstPageImageRatioUiToApi: Math.round((firstPageImage.p50 / Math.max(1, summary(imageApi).p50)) * 100) / 100,
        targets: { initialJsGzipKb: 200, searchMsP50: 300, firstPageImageMsP50: 500 },
      }),
    );
  } finally {
    await browser.close();
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
