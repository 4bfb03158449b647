import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yauzl from 'yauzl';
import { EVENT_STORE, EventStore } from '@medrec/event-store';
import { ProjectionRunner } from '@medrec/read-models';
import { testIo } from '../../testing/test-io';
import { ADMIN_PASSWORD, Client, login, recordForm, startApp, TestApp } from '../../../../../test/e2e/support/harness';
import { runCli } from '../../program';

/**
 * `medrec release list|fulfil|package` against the real app: a request is listed (overdue first),
 * fulfilled, and its package downloaded to a file that unzips with its manifest; bad invocations
 * are exit code 2 with nothing sent, the server's refusals exit code 1.
 */
const PASSWORD = 'him-password-for-tests-only';
const UNKNOWN = '0190a3c4-0000-7000-8000-000000000001';
const day = (offset = 0): string => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

function zipEntries(file: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: false }, (error, zip) => {
      if (error || !zip) return reject(error ?? new Error('no zip'));
      const names: string[] = [];
      zip.on('entry', (entry: yauzl.Entry) => names.push(entry.fileName));
      zip.on('end', () => resolve(names));
      zip.on('error', reject);
    });
  });
}

describe('medrec release', () => {
  let app: TestApp;
  let him: Client;
  let env: Record<string, string>;
  let dir: string;
  let open: string;
  let late: string;

  beforeAll(async () => {
    app = await startApp(undefined, { MEDREC_OCR_IN_PROCESS: 'false' });
    const admin = await login(app.baseUrl, 'admin', ADMIN_PASSWORD);
    if ((await admin.post('/api/users', { username: 'him1', password: PASSWORD, roles: ['him', 'clerk'] })).status !== 201) throw new Error('create him');
    him = await login(app.baseUrl, 'him1', PASSWORD);
    env = { MEDREC_SERVER: app.baseUrl, MEDREC_PASSWORD: PASSWORD };
    dir = mkdtempSync(join(tmpdir(), 'medrec-release-cli-'));
    const record = await him.request('POST', '/api/records', { form: recordForm({ mrn: 'MRN-7001' }) });
    const request = (receivedAt: string) => ({
      mrn: 'MRN-7001',
      requester: 'Jane Example',
      recipient: { name: 'Dr. Rivera' },
      purpose: 'continuing care',
      recordIds: [record.body.id],
      authorizationReference: 'AUTH-7',
      authorizationExpires: day(30),
      receivedAt,
    });
    open = (await him.post('/api/release-requests', request(day()))).body.id;
    late = (await him.post('/api/release-requests', request(day(-40)))).body.id;
    // The list reads the read models: let them catch up with both requests first (under load they lag).
    const head = await app.app.get<EventStore>(EVENT_STORE).headPosition();
    if (!(await app.app.get(ProjectionRunner).waitFor(head, 10_000))) throw new Error('the read models did not catch up in 10 s');
  });

  afterAll(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function run(args: string[]) {
    const io = testIo(env);
    const code = await runCli(['release', ...args, '--username', 'him1'], io);
    return { code, out: io.out(), err: io.err() };
  }

  it.each([
    [['list', '--status', 'closed']],
    [['fulfil']],
    [['fulfil', 'not-a-uuid']],
    [['package', UNKNOWN]],
    [['package', 'nope', '--out', 'x.zip']],
    [['package', UNKNOWN, '--out', 'x.zip', '--purpose', 'curiosity']],
    [['frobnicate']],
  ])('%j is a bad invocation: exit code 2, nothing sent', async (args) => {
    const res = await run(args);
    expect(res.code).toBe(2);
    expect(res.out).toBe('');
  });

  it('lists the requests, the overdue one first', async () => {
    const res = await run(['list', '--json']);
    expect(res.code).toBe(0);
    const { requests } = JSON.parse(res.out);
    expect(requests.map((r: { id: string }) => r.id)).toEqual([late, open]);
    expect(requests[0]).toMatchObject({ overdue: true, status: 'open', mrn: 'MRN-7001' });
    const table = await run(['list', '--overdue']);
    expect(table.out).toContain(late);
    expect(table.out).toContain('OVERDUE');
    expect(table.out).not.toContain(open);
  });

  it('fulfils a request and downloads its package to a file', async () => {
    const fulfilled = await run(['fulfil', open]);
    expect(fulfilled).toMatchObject({ code: 0, out: expect.stringContaining(`/api/release-requests/${open}/package`) });
    // Again: the same package, still exit code 0.
    expect((await run(['fulfil', open])).code).toBe(0);
    const out = join(dir, 'package.zip');
    const res = await run(['package', open, '--out', out, '--json']);
    expect(res.code).toBe(0);
    expect(JSON.parse(res.out)).toMatchObject({ id: open, file: out, bytes: statSync(out).size });
    expect(statSync(out).mode & 0o077).toBe(0);
    expect(readFileSync(out).subarray(0, 2).toString()).toBe('PK');
    expect(await zipEntries(out)).toContain('manifest.json');
  });

  it('reports the server’s refusals: an unfulfilled package (409) and an unknown request (404), writing nothing', async () => {
    const out = join(dir, 'never.zip');
    const notYet = await run(['package', late, '--out', out]);
    expect(notYet).toMatchObject({ code: 1, err: expect.stringContaining('(409)') });
    const unknown = await run(['fulfil', UNKNOWN]);
    expect(unknown).toMatchObject({ code: 1, err: expect.stringContaining('not found (404)') });
    expect(() => statSync(out)).toThrow();
  });
});
