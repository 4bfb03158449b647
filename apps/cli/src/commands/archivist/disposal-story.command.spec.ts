import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importEsm } from '@medrec/ingest/esm';
import { testIo } from '../../testing/test-io';
import { ADMIN_PASSWORD, Client, login, purpose, recordForm, startApp, TestApp } from '../../../../../test/e2e/support/harness';
import { runCli } from '../../program';

/**
 * The archivist's workflow through the `medrec` command, end to end against a real server on the
 * embedded defaults: archive the inactive records, list those due, propose a disposal batch
 * (archivist1), the proposer's own approval refused, approval by archivist2, execution with its
 * progress bar, the batch shown, and the certificate saved as a PDF whose text lists the records.
 */
const PASSWORD = 'archivist-password-for-tests';
const AUTHORITY = 'State records schedule GS-12';
const MATTER = 'Doe v. County Hospital';

interface PdfJs {
  getDocument(source: { data: Uint8Array; isEvalSupported?: boolean; verbosity?: number }): {
    promise: Promise<{
      numPages: number;
      getPage(n: number): Promise<{ getTextContent(): Promise<{ items: Array<{ str?: string }> }> }>;
      destroy(): Promise<void>;
    }>;
  };
}

/** The text of every page of a PDF, read back with pdfjs-dist. */
async function pdfText(file: string): Promise<string> {
  const pdfjs = await importEsm<PdfJs>('pdfjs-dist/legacy/build/pdf.mjs');
  // verbosity 0: errors only (the standard fonts' data is not needed to read text).
  const doc = await pdfjs.getDocument({ data: new Uint8Array(readFileSync(file)), isEvalSupported: false, verbosity: 0 }).promise;
  try {
    const pages: string[] = [];
    for (let n = 1; n <= doc.numPages; n++) {
      const content = await (await doc.getPage(n)).getTextContent();
      pages.push(content.items.map((item) => item.str ?? '').join('\n'));
    }
    return pages.join('\n');
  } finally {
    await doc.destroy();
  }
}

describe('medrec archivist workflow end to end (archive, retention due, disposal propose/approve/execute/show/certificate)', () => {
  let app: TestApp;
  let dir: string;
  let archivist: Client;
  const r: Record<string, string> = {};

  beforeAll(async () => {
    app = await startApp(undefined, { MEDREC_OCR_IN_PROCESS: 'false', MEDREC_FACILITY_NAME: 'General Hospital HIM' });
    dir = mkdtempSync(join(tmpdir(), 'medrec-cli-disposal-'));
    const admin = await login(app.baseUrl, 'admin', ADMIN_PASSWORD);
    for (const [username, roles] of [
      ['archivist1', ['archivist']],
      ['archivist2', ['archivist']],
      ['clerk1', ['clerk']],
      ['legal1', ['legal']],
    ] as const) {
      const res = await admin.post('/api/users', { username, password: PASSWORD, roles });
      if (res.status !== 201) throw new Error(`create ${username}: ${res.status}`);
    }
    const clerk = await login(app.baseUrl, 'clerk1', PASSWORD);
    archivist = await login(app.baseUrl, 'archivist1', PASSWORD);
    let seq = 0;
    const upload = async (encounterDate: string) => {
      const res = await clerk.request('POST', '/api/records', { form: recordForm({ mrn: `CLI-D-${++seq}`, encounterDate }) });
      if (res.status !== 201) throw new Error(`fixture record: ${res.status}`);
      return res.body.id as string;
    };
    // Due as of 2026-06-30 (10 years after the encounter): a, b and the held one; not the recent one.
    r.a = await upload('2010-03-02');
    r.b = await upload('2012-04-05');
    r.held = await upload('2011-05-06');
    r.recent = await upload('2022-08-09');
    const legal = await login(app.baseUrl, 'legal1', PASSWORD);
    const hold = await legal.post('/api/legal-holds', { matter: MATTER, reason: 'Preservation notice', recordIds: [r.held] });
    if (hold.status !== 201) throw new Error(`hold: ${hold.status}`);
  });

  afterAll(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function run(args: string[], username: string, options: { tty?: boolean } = {}) {
    const io = testIo({ MEDREC_SERVER: app.baseUrl, MEDREC_PASSWORD: PASSWORD });
    // A terminal on stderr: where the progress bar of `execute` goes.
    if (options.tty) Object.assign(io.stderr, { isTTY: true, columns: 120 });
    const code = await runCli([...args, '--username', username], io);
    return { code, out: io.out(), err: io.err() };
  }

  it('takes a batch from the due list to a certificate of destruction as two archivists', async () => {
    // Archive the records inactive since 2013 first: a disposal destroys archived records too.
    const archived = await run(['archive', '--inactive-since', '2013-01-01'], 'archivist1');
    expect({ code: archived.code, err: archived.err }).toEqual({ code: 0, err: '' });
    for (const id of [r.a, r.b, r.held]) expect(archived.out).toContain(`archived ${id}\n`);
    expect(archived.out).not.toContain(r.recent);

    const due = await run(['retention', 'due', '--as-of', '2026-06-30'], 'archivist1');
    expect(due.code).toBe(0);
    expect(due.out).toMatch(new RegExp(`^${r.held}  discharge-summary  2021-05-06    held  `, 'm'));
    expect(due.out).toContain('3 records due as of 2026-06-30, 1 under legal hold\n');
    expect(due.out).not.toContain(r.recent);

    const proposed = await run(['disposal', 'propose', '--as-of', '2026-06-30', '--authority', AUTHORITY], 'archivist1');
    expect({ code: proposed.code, err: proposed.err }).toEqual({ code: 0, err: '' });
    expect(proposed.out).toMatch(new RegExp(`^${r.a}  included\\s*$`, 'm'));
    expect(proposed.out).toMatch(new RegExp(`^${r.b}  included\\s*$`, 'm'));
    expect(proposed.out).toMatch(new RegExp(`^${r.held}  excluded  held, matter ${MATTER}$`, 'm'));
    const batchId = /^Disposal batch ([0-9a-f-]{36}): 2 records included, 1 excluded$/m.exec(proposed.out)?.[1];
    expect(batchId).toBeDefined();
    expect(proposed.out).toContain(`Next: another archivist or HIM user approves it (medrec disposal approve ${batchId})`);

    // The proposer's own approval: refused by the server (403), with its reason, exit code 1.
    const own = await run(['disposal', 'approve', batchId!], 'archivist1');
    expect(own).toEqual({
      code: 1,
      out: '',
      err: expect.stringContaining(
        'The account may not approve the disposal batch (403): A disposal batch must be approved by someone other than the person who proposed it',
      ),
    });
    // Executing before approval: refused (409), nothing destroyed.
    const early = await run(['disposal', 'execute', batchId!], 'archivist1');
    expect(early).toMatchObject({ code: 1, err: expect.stringContaining('Could not execute the disposal batch (409)') });
    expect((await archivist.get(`/api/records/${r.a}`, purpose('operations'))).status).toBe(200);

    const approved = await run(['disposal', 'approve', batchId!], 'archivist2');
    expect(approved.code).toBe(0);
    expect(approved.out).toMatch(new RegExp(`^Disposal batch ${batchId} approved by archivist2 at \\d{4}-\\d\\d-\\d\\dT`));

    const executed = await run(['disposal', 'execute', batchId!], 'archivist1', { tty: true });
    expect(executed.code).toBe(0);
    // The progress bar on the terminal: destroyed + skipped over included, ending at 2/2.
    expect(executed.err).toContain('destroying |');
    expect(executed.err).toMatch(/\| 2\/2 records \|/);
    expect(executed.out).toMatch(new RegExp(`^${r.a}  destroyed\\s*$`, 'm'));
    expect(executed.out).toMatch(new RegExp(`^${r.b}  destroyed\\s*$`, 'm'));
    const certificateId = new RegExp(`^Disposal batch ${batchId}: 2 records destroyed, 0 skipped; certificate ([0-9a-f-]{36})$`, 'm').exec(executed.out)?.[1];
    expect(certificateId).toBeDefined();
    for (const id of [r.a, r.b]) expect((await archivist.get(`/api/records/${id}`, purpose('operations'))).status).toBe(410);
    for (const id of [r.held, r.recent]) expect((await archivist.get(`/api/records/${id}`, purpose('operations'))).status).toBe(200);

    const shown = await run(['disposal', 'show', batchId!], 'archivist2');
    expect(shown.code).toBe(0);
    expect(shown.out).toContain(`batch:         ${batchId}\n`);
    expect(shown.out).toContain('status:        executed\n');
    expect(shown.out).toContain(`authority:     ${AUTHORITY}\n`);
    expect(shown.out).toMatch(/^proposed: {6}archivist1 at /m);
    expect(shown.out).toMatch(/^approved: {6}archivist2 at /m);
    expect(shown.out).toMatch(/^executed: {6}archivist1 at /m);
    expect(shown.out).toContain(`certificate:   ${certificateId}\n`);
    expect(shown.out).toContain('2 records destroyed, 0 skipped\n');

    const table = await run(['disposal', 'certificate', certificateId!], 'archivist2');
    expect(table.code).toBe(0);
    expect(table.out).toContain(`Certificate of destruction ${certificateId} (batch ${batchId})\nGeneral Hospital HIM, issued `);
    expect(table.out).toMatch(new RegExp(`^${r.a}  CLI-D-1  discharge-summary  2010-03-02`, 'm'));
    expect(table.out).toMatch(new RegExp(`^${r.b}  CLI-D-2  discharge-summary  2012-04-05`, 'm'));
    expect(table.out).toContain('2 records. The records listed were destroyed');

    const file = join(dir, 'certificate.pdf');
    const pdf = await run(['disposal', 'certificate', certificateId!, '--pdf', file], 'archivist2');
    expect(pdf).toEqual({ code: 0, out: `Certificate ${certificateId} written to ${file} (${statSync(file).size} bytes)\n`, err: '' });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file).subarray(0, 5).toString()).toBe('%PDF-');
    const text = await pdfText(file);
    expect(text).toContain('Certificate of destruction');
    expect(text).toContain('General Hospital HIM');
    expect(text).toContain(`Certificate: ${certificateId}`);
    expect(text).toContain(`Retention authority: ${AUTHORITY}`);
    expect(text).toContain('Records destroyed: 2');
    // pdfjs gives a run of spaces as one.
    expect(text).toContain(`${r.a} MRN CLI-D-1 discharge-summary 2010-03-02 to `);
    expect(text).toContain(`${r.b} MRN CLI-D-2 discharge-summary 2012-04-05 to `);
    expect(text).not.toContain(r.held);
    expect(text).not.toContain(r.recent);

    // Executing again: the same result, the same certificate.
    const again = await run(['disposal', 'execute', batchId!, '--json'], 'archivist1');
    expect(again.code).toBe(0);
    expect(JSON.parse(again.out)).toMatchObject({ destroyed: expect.arrayContaining([r.a, r.b]), skipped: [], certificateId });
    expect(existsSync(file)).toBe(true);
  });
});
