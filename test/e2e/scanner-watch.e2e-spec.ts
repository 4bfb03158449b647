import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BuiltProcess, spawnBuilt } from '../support/server-process';
import { ADMIN_PASSWORD, Client, login, purpose, startApp, TestApp } from './support/harness';

/**
 * `medrec watch --no-split` as a real process against the real app (embedded defaults), killed
 * with SIGKILL while a send is under way and started again: every good file becomes exactly one
 * record, the hostile one lands in refused/ with its reason. Between the two, a pass-through proxy
 * holds back the answer to one upload the server has already stored, so the kill always falls in
 * the worst place: the record exists, the watcher never heard so.
 */
const ROOT = join(__dirname, '../..');
const SCANS = join(ROOT, 'test/fixtures/scans');
const BAD_INPUTS = join(ROOT, 'test/fixtures/bad-inputs');
const CLERK_PASSWORD = 'clerk-password-for-tests';
const HIM_PASSWORD = 'him-password-for-tests-1';

interface FixtureRow {
  file: string;
  mrn: string;
  patient: string;
  dob: string;
  type: string;
}
const FIXTURES: FixtureRow[] = JSON.parse(readFileSync(join(SCANS, 'manifest.json'), 'utf8'));
const GOOD = ['mrn-00482913-radiology-report.png', 'mrn-00482913-discharge-summary.tif', 'mrn-00519377-radiology-report.pdf', 'mrn-00600218-progress-note.pdf'];
const HOSTILE = 'not-a-pdf.pdf';
const BAD_EXPECTATIONS = JSON.parse(readFileSync(join(BAD_INPUTS, 'expectations.json'), 'utf8')) as Record<string, { expect: string }>;

describe('medrec watch --no-split, killed with SIGKILL mid-way and restarted', () => {
  let app: TestApp;
  let him: Client;
  let proxy: Server;
  let proxyUrl: string;
  let work: string;
  let folder: string;
  let manifest: string;
  let uploads: { status: number; held: boolean }[];
  let holdSecondCreated: boolean;
  let onHeld: (() => void) | undefined;
  const watchers: BuiltProcess[] = [];

  beforeAll(async () => {
    app = await startApp(undefined, { MEDREC_OCR_IN_PROCESS: 'false' });
    const admin = await login(app.baseUrl, 'admin', ADMIN_PASSWORD);
    for (const [username, password, role] of [
      ['clerk1', CLERK_PASSWORD, 'clerk'],
      ['him1', HIM_PASSWORD, 'him'],
    ]) {
      const res = await admin.post('/api/users', { username, password, roles: [role] });
      if (res.status !== 201) throw new Error(`create ${username}: ${res.status}`);
    }
    him = await login(app.baseUrl, 'him1', HIM_PASSWORD);
    proxy = createServer((req, res) => void forward(req, res));
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    for (const watcher of watchers) watcher.child.kill('SIGKILL');
    proxy?.closeAllConnections();
    await new Promise((resolve) => proxy?.close(resolve));
    await app?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** Forwards to the app; the answer to the second record created is held back (never sent) while holdSecondCreated is set. */
  async function forward(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([name]) => !['host', 'connection', 'content-length'].includes(name))) as Record<
      string,
      string
    >;
    const answer = await fetch(app.baseUrl + req.url, { method: req.method, headers, body: chunks.length > 0 ? Buffer.concat(chunks) : undefined });
    const body = Buffer.from(await answer.arrayBuffer());
    if (req.method === 'POST' && req.url === '/api/records') {
      const created = uploads.filter((u) => u.status === 201).length;
      const held = holdSecondCreated && answer.status === 201 && created === 1;
      uploads.push({ status: answer.status, held });
      if (held) {
        onHeld?.();
        return; // the watcher waits for an answer that never comes
      }
    }
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' }).end(body);
  }

  function startWatcher(): BuiltProcess {
    const watcher = spawnBuilt('apps/cli/src/main', { MEDREC_PASSWORD: CLERK_PASSWORD }, [
      'watch',
      folder,
      '--server',
      proxyUrl,
      '--username',
      'clerk1',
      '--no-split',
      '--manifest',
      manifest,
      '--settle-ms',
      '200',
    ]);
    watchers.push(watcher);
    return watcher;
  }

  async function until<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await check();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  const journal = () =>
    readFileSync(join(folder, '.medrec-watch', 'journal.jsonl'), 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as { op: string; name: string; id?: string; existing?: boolean });
  const inFolder = () => readdirSync(folder).filter((name) => !name.startsWith('.') && name !== 'done' && name !== 'refused');

  it('uploads every good file exactly once and refuses the hostile one with its reason', async () => {
    expect(BAD_EXPECTATIONS[HOSTILE].expect).toBe('reject');
    work = mkdtempSync(join(tmpdir(), 'medrec-watch-e2e-'));
    folder = join(work, 'scanner');
    mkdirSync(folder);
    manifest = join(work, 'manifest.csv');
    const rows = GOOD.map((file) => FIXTURES.find((f) => f.file === file)!).map((f) => [f.file, f.mrn, f.patient, f.dob, f.type, `Scanned ${f.type}`]);
    rows.push([HOSTILE, 'MRN-00733105', 'Test Patient', '1970-01-01', 'lab-report', 'Hostile file']);
    writeFileSync(manifest, ['file,mrn,patientName,dateOfBirth,documentType,title', ...rows.map((r) => r.join(','))].join('\n') + '\n');
    uploads = [];
    holdSecondCreated = true;
    const held = new Promise<void>((resolve) => (onHeld = resolve));

    // Two good files and the hostile one are there before the watcher starts; two more arrive while it runs.
    copyFileSync(join(SCANS, GOOD[0]), join(folder, GOOD[0]));
    copyFileSync(join(SCANS, GOOD[1]), join(folder, GOOD[1]));
    copyFileSync(join(BAD_INPUTS, HOSTILE), join(folder, HOSTILE));
    const first = startWatcher();
    await until('the first watcher runs', () => first.output().includes('watching '));
    copyFileSync(join(SCANS, GOOD[2]), join(folder, GOOD[2]));
    copyFileSync(join(SCANS, GOOD[3]), join(folder, GOOD[3]));

    await held;
    const stored = uploads.find((u) => u.held);
    expect(stored).toBeDefined();
    first.child.kill('SIGKILL');
    expect(await first.exited).toMatchObject({ signal: 'SIGKILL' });
    const lastStep = journal().at(-1)!;
    expect(lastStep.op).toBe('sending');
    expect(inFolder()).toContain(lastStep.name);

    holdSecondCreated = false;
    const second = startWatcher();
    await until('every file has left the folder', () => inFolder().length === 0, 30_000);
    second.child.kill('SIGTERM');
    expect(await second.exited).toMatchObject({ code: 0 });
    expect(second.output()).toContain(`resuming ${lastStep.name}: its send was interrupted`);
    // "stopped" ends stdout; the SIGTERM notice (stderr) may arrive before or after it.
    expect(second.stdout()).toMatch(/stopped\n$/);

    expect(readdirSync(join(folder, 'done')).sort()).toEqual([...GOOD].sort());
    expect(readdirSync(join(folder, 'refused')).sort()).toEqual([HOSTILE, `${HOSTILE}.reason.txt`]);
    const reason = readFileSync(join(folder, 'refused', `${HOSTILE}.reason.txt`), 'utf8');
    expect(reason).toContain(`file: ${HOSTILE}\n`);
    expect(reason).toContain('by: the server, HTTP 415\n');
    expect(reason).toContain('reason: unsupported-type\n');

    // The resend of the stored file was answered 409 (the same patient and content) and taken as sent.
    expect(uploads.map((u) => u.status).sort()).toEqual([201, 201, 201, 201, 409, 415]);
    expect(
      journal()
        .filter((e) => e.op === 'sent' && e.existing)
        .map((e) => e.name),
    ).toEqual([lastStep.name]);
    // The journal was compacted on the restart: what each run sent is in its output.
    const sent = [...(first.output() + second.output()).matchAll(/^(?:sent|already on the server): (\S+) → record (\S+) \(done\//gm)];
    expect(sent.map((m) => m[1]).sort()).toEqual([...GOOD].sort());
    const ids = new Set(sent.map((m) => m[2]));
    expect(ids.size).toBe(GOOD.length);
    for (const id of ids) expect((await him.get(`/api/records/${id}`, purpose('operations'))).status).toBe(200);
    const total = await until('the read model counts the records', async () => {
      const stats = await him.get('/api/stats');
      return stats.body.records.total >= GOOD.length && (stats.body.records.total as number);
    });
    expect(total).toBe(GOOD.length);

    for (const output of [first.output(), second.output()])
      for (const patient of new Set(FIXTURES.map((f) => f.patient))) expect(output).not.toContain(patient);
  });
});
