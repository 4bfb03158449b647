import { testIo } from '../../testing/test-io';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { ADMIN_PASSWORD, Client, login, purpose, startApp, TestApp } from '../../../../../test/e2e/support/harness';
import { runCli } from '../../program';
import { ingest } from './ingest.command';
import { ingestedKey } from './ingest-state';
import type { IngestSummary } from './ingest-summary';

/** Against the real app on a loopback port, as an operator would run it against a remote server. */
const ROOT = join(__dirname, '../../../../..');
const SCANS = join(ROOT, 'test/fixtures/scans');
const BAD_INPUTS = join(ROOT, 'test/fixtures/bad-inputs');
const PASSWORD = 'clerk-password-for-tests';

interface FixtureRow {
  file: string;
  mrn: string;
  patient: string;
  dob: string;
  type: string;
  pages: number;
}
const FIXTURES: FixtureRow[] = JSON.parse(readFileSync(join(SCANS, 'manifest.json'), 'utf8'));
const PATIENT_NAMES = [...new Set(FIXTURES.map((row) => row.patient))];

function fixture(file: string): FixtureRow {
  const row = FIXTURES.find((r) => r.file === file);
  if (!row) throw new Error(`no fixture ${file}`);
  return row;
}

/** The standard manifest format for a fixture scan. */
function standardRow(file: string, extra: Record<string, string> = {}) {
  const row = fixture(file);
  return { file, mrn: row.mrn, patientName: row.patient, dateOfBirth: row.dob, documentType: row.type, title: `Scanned ${row.type}`, ...extra };
}

function expectNoPatientNames(...texts: string[]) {
  for (const text of texts) for (const name of PATIENT_NAMES) expect(text).not.toContain(name);
}

describe('medrec ingest', () => {
  let app: TestApp;
  let clerk: Client;
  let folder: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    app = await startApp(undefined, { MEDREC_OCR_IN_PROCESS: 'false' });
    const admin = await login(app.baseUrl, 'admin', ADMIN_PASSWORD);
    const res = await admin.post('/api/users', { username: 'clerk1', password: PASSWORD, roles: ['clerk'] });
    if (res.status !== 201) throw new Error(`create clerk: ${res.status}`);
    clerk = await login(app.baseUrl, 'clerk1', PASSWORD);
  });

  afterAll(() => app.close());

  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'medrec-ingest-'));
    env = { MEDREC_SERVER: app.baseUrl, MEDREC_PASSWORD: PASSWORD };
  });

  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  function copyScans(...files: string[]) {
    for (const file of files) copyFileSync(join(SCANS, file), join(folder, file));
  }

  async function run(args: string[], envOverride: Record<string, string | undefined> = env) {
    const io = testIo(envOverride);
    const code = await runCli(['ingest', folder, ...args], io);
    return { code, out: io.out(), err: io.err(), json: () => JSON.parse(io.out()) as IngestSummary };
  }

  it('ingests every file of a JSON manifest, then skips them on re-runs, by the state file or as server-side duplicates', async () => {
    const files = ['mrn-00482913-radiology-report.png', 'mrn-00482913-discharge-summary.tif', 'mrn-00519377-radiology-report.pdf'];
    copyScans(...files);
    writeFileSync(join(folder, 'manifest.json'), JSON.stringify(files.map((file) => standardRow(file, { encounterDate: '2024-03-02' }))));

    const first = await run(['--manifest', join(folder, 'manifest.json'), '--username', 'clerk1', '--json', '--concurrency', '3']);

    expect({ code: first.code, err: first.err }).toEqual({ code: 0, err: expect.stringContaining('ingest: 3/3 files, 4 pages') });
    const summary = first.json();
    expect(summary.totals).toMatchObject({ files: 3, ingested: 3, skipped: 0, refused: 0, failed: 0, pages: 4 });
    expect(summary.ingested.map((r) => [r.file, r.pages])).toEqual([
      [files[0], 1],
      [files[1], 2],
      [files[2], 1],
    ]);
    for (const [index, item] of summary.ingested.entries()) {
      const record = await clerk.get(`/api/records/${item.recordId}`, purpose('operations'));
      const row = standardRow(files[index]);
      expect(record.body).toMatchObject({
        mrn: row.mrn,
        patientName: row.patientName,
        documentType: row.documentType,
        title: row.title,
        encounterDate: '2024-03-02',
      });
      expect(record.body.versions[0].sha256).toBe(item.sha256);
    }
    const state = JSON.parse(readFileSync(join(folder, '.medrec-ingest.json'), 'utf8'));
    expect(state).toEqual({
      version: 2,
      server: app.baseUrl,
      ingested: Object.fromEntries(
        summary.ingested.map((r) => [ingestedKey(standardRow(r.file).mrn, r.sha256), { recordId: r.recordId, file: r.file, at: expect.any(String) }]),
      ),
    });
    expectNoPatientNames(first.out, first.err);

    const again = await run(['--manifest', join(folder, 'manifest.json'), '--username', 'clerk1', '--json']);
    expect(again.code).toBe(0);
    expect(again.json().totals).toMatchObject({ files: 3, ingested: 0, skipped: 3, pages: 0 });
    expect(again.json().skipped).toEqual(summary.ingested.map((r) => ({ file: r.file, recordId: r.recordId, sha256: r.sha256, reason: 'already-ingested' })));

    // Without the state, the server recognises the content (409) and the existing ids are recorded.
    const elsewhere = join(folder, 'other-state.json');
    const third = await run(['--manifest', join(folder, 'manifest.json'), '--username', 'clerk1', '--state', elsewhere]);
    expect(third.code).toBe(0);
    expect(third.out).toMatch(/^Ingested 0 \(0 pages\), skipped 3 \(already ingested\), refused 0, failed 0 - 3 files in [\d.]+s\n$/);
    const recovered = JSON.parse(readFileSync(elsewhere, 'utf8'));
    expect(Object.fromEntries(Object.entries(recovered.ingested).map(([key, entry]) => [key, (entry as { recordId: string }).recordId]))).toEqual(
      Object.fromEntries(summary.ingested.map((r) => [ingestedKey(standardRow(r.file).mrn, r.sha256), r.recordId])),
    );
  });

  it('the same bytes are one record per patient: a second row for the same patient is skipped, for another patient it is ingested', async () => {
    const file = 'mrn-00482913-radiology-report.png';
    copyScans(file);
    copyFileSync(join(folder, file), join(folder, 'copy.png'));
    copyFileSync(join(folder, file), join(folder, 'other-patient.png'));
    // Patients of their own: other tests of this file ingest the same scan for its fixture patient.
    const row = standardRow(file, { mrn: 'MRN-00999002', patientName: 'First Patient' });
    const rows = [row, { ...row, file: 'copy.png' }, { ...row, file: 'other-patient.png', mrn: 'MRN-00999001', patientName: 'Other Patient' }];
    writeFileSync(join(folder, 'manifest.json'), JSON.stringify(rows));

    const result = await run(['--manifest', join(folder, 'manifest.json'), '--username', 'clerk1', '--json', '--concurrency', '3']);

    expect(result.code).toBe(0);
    const summary = result.json();
    expect(summary.ingested.map((r) => r.file)).toEqual([file, 'other-patient.png']);
    expect(summary.skipped).toEqual([expect.objectContaining({ file: 'copy.png', reason: 'same-content', sameAs: file })]);
    const owners = [];
    for (const item of summary.ingested) owners.push((await clerk.get(`/api/records/${item.recordId}`, purpose('operations'))).body.mrn);
    expect(owners).toEqual(['MRN-00999002', 'MRN-00999001']);
  });

  it('a state file that cannot be saved still leaves the summary of what was uploaded, then the error', async () => {
    const file = 'mrn-00519377-radiology-report.pdf';
    copyScans(file);
    writeFileSync(join(folder, 'manifest.json'), JSON.stringify([standardRow(file, { mrn: 'MRN-00999003', patientName: 'Third Patient' })]));

    const result = await run([
      '--manifest',
      join(folder, 'manifest.json'),
      '--username',
      'clerk1',
      '--json',
      '--state',
      join(folder, 'no-such-dir', 'state.json'),
    ]);

    expect(result.code).toBe(1);
    expect(result.json().ingested).toEqual([expect.objectContaining({ file, recordId: expect.any(String) })]);
    expect(result.err).toContain('Could not save the state file');
  });

  it('reads a CSV manifest, lists a refused file with the server reason, and exits 1', async () => {
    copyScans('mrn-00600218-progress-note.pdf');
    copyFileSync(join(BAD_INPUTS, 'not-a-pdf.pdf'), join(folder, 'not-a-pdf.pdf'));
    const good = standardRow('mrn-00600218-progress-note.pdf');
    const csv = [
      'file,mrn,patientName,dateOfBirth,documentType,title,encounterDate',
      `${good.file},${good.mrn},"${good.patientName}",${good.dateOfBirth},${good.documentType},"Progress note, ward 3",`,
      `not-a-pdf.pdf,${good.mrn},"${good.patientName}",${good.dateOfBirth},lab-report,Lab report,2024-05-06`,
    ].join('\r\n');
    writeFileSync(join(folder, 'manifest.csv'), csv);

    const result = await run(['--manifest', join(folder, 'manifest.csv'), '--username', 'clerk1', '--json']);

    expect(result.code).toBe(1);
    const summary = result.json();
    expect(summary.totals).toMatchObject({ files: 2, ingested: 1, refused: 1, failed: 0, pages: 1 });
    expect(summary.ingested[0].file).toBe(good.file);
    expect(summary.refused).toEqual([expect.objectContaining({ file: 'not-a-pdf.pdf' })]);
    expect([415, 422]).toContain(summary.refused[0].status);
    expect(summary.refused[0].detail.length).toBeGreaterThan(0);
    expect(result.err).toContain('error: 1 of 2 files were not ingested');
    const record = await clerk.get(`/api/records/${summary.ingested[0].recordId}`, purpose('operations'));
    expect(record.body.title).toBe('Progress note, ward 3');
    expect(record.body.encounterDate ?? null).toBeNull();

    // The refused file is not remembered: a re-run tries it again, and only it.
    const text = await run(['--manifest', join(folder, 'manifest.csv'), '--username', 'clerk1']);
    expect(text.code).toBe(1);
    expect(text.out).toContain('Ingested 0 (0 pages), skipped 1 (already ingested), refused 1, failed 0 - 2 files');
    expect(text.out).toMatch(new RegExp(`Refused:\\n  not-a-pdf\\.pdf: ${summary.refused[0].status} \\S`));
    expectNoPatientNames(result.err, text.out, text.err);
  });

  it('takes the scan fixtures manifest format as it is (patient, dob, type; titles from the type)', async () => {
    const files = ['mrn-00733105-operative-report.pdf', 'mrn-00600218-discharge-summary.tif'];
    copyScans(...files);
    // Rows for files not copied would be invalid: the manifest holds only the copied ones, with all their keys.
    writeFileSync(join(folder, 'manifest.json'), JSON.stringify(FIXTURES.filter((row) => files.includes(row.file))));

    const result = await run(['--manifest', join(folder, 'manifest.json'), '--username', 'clerk1', '--json']);

    expect({ code: result.code, err: result.err.replace(/ingest: .*\n/g, '') }).toEqual({ code: 0, err: '' });
    const summary = result.json();
    const expectedPages = FIXTURES.filter((row) => files.includes(row.file)).reduce((sum, row) => sum + row.pages, 0);
    expect(summary.totals).toMatchObject({ ingested: 2, pages: expectedPages });
    const titles = [];
    for (const item of summary.ingested) titles.push((await clerk.get(`/api/records/${item.recordId}`, purpose('operations'))).body.title);
    expect(titles.sort()).toEqual(['Discharge summary', 'Operative report']);
  });

  it('refuses an invalid manifest before uploading anything, unless told to skip the invalid rows', async () => {
    copyScans('mrn-00733105-authorization.png');
    const good = standardRow('mrn-00733105-authorization.png');
    const rows = [good, { ...good, file: 'missing.png' }, { ...good, file: 'mrn-00733105-authorization.png', dateOfBirth: '31/12/1950' }];
    writeFileSync(join(folder, 'manifest.json'), JSON.stringify(rows));

    const refused = await run(['--manifest', join(folder, 'manifest.json'), '--username', 'clerk1']);

    expect(refused.code).toBe(2);
    expect(refused.err).toBe(
      'The manifest has 2 invalid rows; nothing was uploaded:\n' +
        '  row 2 (missing.png): file does not exist\n' +
        '  row 3 (mrn-00733105-authorization.png): dateOfBirth must be a date YYYY-MM-DD; lists the same file as row 1\n' +
        'error: Fix the manifest, or pass --skip-invalid to ingest the valid rows only\n',
    );
    expect(existsSync(join(folder, '.medrec-ingest.json'))).toBe(false);

    const skipping = await run(['--manifest', join(folder, 'manifest.json'), '--username', 'clerk1', '--skip-invalid', '--json']);
    expect(skipping.code).toBe(1);
    expect(skipping.json().totals).toMatchObject({ files: 3, ingested: 1, invalid: 2 });
    expect(skipping.json().invalid.map((row) => row.row)).toEqual([2, 3]);
    expectNoPatientNames(refused.err, skipping.out, skipping.err);
  });

  it('signs in with --password-stdin or a token from MEDREC_TOKEN, and stops on wrong credentials', async () => {
    copyScans('mrn-00733105-nursing-notes.tif');
    writeFileSync(join(folder, 'manifest.json'), JSON.stringify([standardRow('mrn-00733105-nursing-notes.tif')]));
    const manifest = ['--manifest', join(folder, 'manifest.json')];

    const wrong = await run([...manifest, '--username', 'clerk1'], { ...env, MEDREC_PASSWORD: 'not-the-password' });
    expect({ code: wrong.code, err: wrong.err }).toEqual({ code: 1, err: 'error: The server refused the username or password (401)\n' });

    const none = await run(manifest, { MEDREC_SERVER: app.baseUrl });
    expect(none.code).toBe(2);
    expect(none.err).toContain('No credentials: give --username');

    const io = testIo({ MEDREC_SERVER: app.baseUrl });
    const stdin = new PassThrough();
    stdin.end(`${PASSWORD}\n`);
    const fromStdin = await ingest(
      { ...io, stdin },
      folder,
      { manifest: join(folder, 'manifest.json'), username: 'clerk1', passwordStdin: true },
      { progressIntervalMs: 1 },
    );
    expect(fromStdin.totals).toMatchObject({ ingested: 1 });

    const token = (await new Client(app.baseUrl).post('/api/auth/token', { username: 'clerk1', password: PASSWORD })).body.accessToken;
    const withToken = await run([...manifest, '--json', '--state', join(folder, 'fresh-state.json')], { MEDREC_SERVER: app.baseUrl, MEDREC_TOKEN: token });
    expect(withToken.code).toBe(0);
    expect(withToken.json().skipped).toEqual([expect.objectContaining({ reason: 'duplicate', recordId: fromStdin.ingested[0].recordId })]);

    const badToken = await run([...manifest, '--state', join(folder, 'third-state.json')], { MEDREC_SERVER: app.baseUrl, MEDREC_TOKEN: 'not-a-token' });
    expect(badToken.code).toBe(1);
    expect(badToken.err).toContain('error: The server refused the token (MEDREC_TOKEN) (401)');
  });

  it('refuses bad invocations with exit code 2', async () => {
    writeFileSync(join(folder, 'manifest.json'), '[]');
    const cases: [string[], RegExp][] = [
      [[], /required option '-m, --manifest <file>' not specified/],
      [['--manifest', join(folder, 'manifest.json'), '--username', 'clerk1'], /The manifest lists no files/],
      [['--manifest', join(folder, 'nope.json'), '--username', 'clerk1'], /Cannot read the manifest: it does not exist/],
      [['--manifest', join(folder, 'manifest.json'), '--username', 'clerk1', '--concurrency', '0'], /--concurrency must be a whole number from 1 to 16/],
      [['--manifest', join(folder, 'manifest.json'), '--username', 'clerk1', '--server', 'ftp://x'], /--server must be an http/],
      [['--manifest', join(folder, 'manifest.json'), '--password-stdin'], /--password-stdin needs --username/],
      [
        ['--manifest', join(folder, 'manifest.json'), '--username', 'clerk1', '--server', 'http://192.0.2.1:3000'],
        /http:\/\/192\.0\.2\.1:3000 is plain HTTP to another machine: .*--allow-insecure-http/,
      ],
      [['--manifest', join(folder, 'manifest.json'), '--username', 'clerk1', '--server', 'http://medrec.example'], /plain HTTP to another machine/],
      // With the flag, the check passes (with a warning): the next problem is the empty manifest.
      [
        ['--manifest', join(folder, 'manifest.json'), '--username', 'clerk1', '--server', 'http://192.0.2.1:3000', '--allow-insecure-http'],
        /warning: .* is plain HTTP[^]*The manifest lists no files/,
      ],
      [
        ['--manifest', join(folder, 'manifest.json'), '--username', 'clerk1', '--server', 'http://127.0.0.2:3000'],
        /^(?![^]*plain HTTP)[^]*The manifest lists no files/,
      ],
      [
        ['--manifest', join(folder, 'manifest.json'), '--username', 'clerk1', '--server', 'http://[::1]:3000'],
        /^(?![^]*plain HTTP)[^]*The manifest lists no files/,
      ],
    ];
    for (const [args, message] of cases) {
      const result = await run(args);
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      expect(result.err).toMatch(message);
    }
    const help = testIo(env);
    expect(await runCli(['ingest', '--help'], help)).toBe(0);
    expect(help.out()).toContain('MEDREC_TOKEN');
  });
});
