import { testIo } from '../../testing/test-io';
import { ADMIN_PASSWORD, Client, login, recordForm, startApp, TestApp } from '../../../../../test/e2e/support/harness';
import { runCli } from '../../program';

/** `amendment list` against the real app on a loopback port, as HIM would run it against a remote server. */
const PASSWORD = 'him-password-for-tests';
const DAY = 86_400_000;
const daysAgo = (n: number): string => new Date(Date.now() - n * DAY).toISOString().slice(0, 10);
const plus60 = (day: string): string => new Date(Date.parse(`${day}T00:00:00Z`) + 60 * DAY).toISOString().slice(0, 10);

describe('medrec amendment list', () => {
  let app: TestApp;
  let him: Client;
  let env: Record<string, string>;
  const r: Record<string, { id: string; recordId: string; position: number }> = {};

  async function newRequest(receivedAt: string) {
    const record = await him.request('POST', '/api/records', { form: recordForm() });
    if (record.status !== 201) throw new Error(`fixture record: ${record.status}`);
    const res = await him.post('/api/amendment-requests', { recordId: record.body.id, requestedChange: 'Add my allergy', receivedAt });
    if (res.status !== 201) throw new Error(`fixture request: ${res.status} ${JSON.stringify(res.body)}`);
    return { id: res.body.id as string, recordId: record.body.id as string, position: res.body.position as number };
  }

  beforeAll(async () => {
    app = await startApp(undefined, { MEDREC_OCR_IN_PROCESS: 'false' });
    const admin = await login(app.baseUrl, 'admin', ADMIN_PASSWORD);
    for (const [username, roles] of [
      ['him1', ['him']],
      ['clerk1', ['clerk']],
    ] as const) {
      const res = await admin.post('/api/users', { username, password: PASSWORD, roles });
      if (res.status !== 201) throw new Error(`create ${username}: ${res.status}`);
    }
    him = await login(app.baseUrl, 'him1', PASSWORD);
    r.fresh = await newRequest(daysAgo(5));
    r.late = await newRequest(daysAgo(70));
    r.denied = await newRequest(daysAgo(90));
    const denied = await him.post(`/api/amendment-requests/${r.denied.id}/deny`, { reason: 'Accurate as written' });
    expect(denied.status).toBe(200);
    // The list reads a projection: let it reach the last write before the CLI asks.
    expect((await him.get(`/api/amendment-requests?after=${denied.body.position}`)).status).toBe(200);
  });

  afterAll(() => app.close());

  beforeEach(() => {
    env = { MEDREC_SERVER: app.baseUrl, MEDREC_PASSWORD: PASSWORD };
  });

  async function run(args: string[], envOverride: Record<string, string | undefined> = env) {
    const io = testIo(envOverride);
    const code = await runCli(args, io);
    return { code, out: io.out(), err: io.err(), json: () => JSON.parse(io.out()) };
  }

  it('lists the overdue requests as JSON', async () => {
    const res = await run(['amendment', 'list', '--overdue', '--username', 'him1', '--json']);
    expect({ code: res.code, err: res.err }).toEqual({ code: 0, err: '' });
    expect(res.json()).toEqual({
      requests: [{ id: r.late.id, recordId: r.late.recordId, status: 'received', receivedAt: daysAgo(70), dueAt: plus60(daysAgo(70)), overdue: true }],
    });
  });

  it('lists every request as a table, overdue first', async () => {
    const res = await run(['amendment', 'list', '--username', 'him1']);
    expect(res.code).toBe(0);
    const lines = res.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^REQUEST\s+RECORD\s+STATUS\s+RECEIVED\s+DUE$/);
    expect(lines[1]).toMatch(new RegExp(`^${r.late.id}\\s+${r.late.recordId}\\s+received\\s+${daysAgo(70)}\\s+${plus60(daysAgo(70))}\\s+OVERDUE$`));
    expect(lines.slice(2, 4).map((l) => l.split(/\s+/)[0])).toEqual([r.denied.id, r.fresh.id]);
    expect(lines[4]).toBe('3 amendment requests, 1 overdue');
  });

  it('filters by status', async () => {
    const res = await run(['amendment', 'list', '--status', 'denied', '--username', 'him1', '--json']);
    expect(res.json().requests.map((x: { id: string }) => x.id)).toEqual([r.denied.id]);
  });

  it('exit code 2 for a bad invocation, 1 for a refusal', async () => {
    expect((await run(['amendment', 'list', '--status', 'open', '--username', 'him1'])).code).toBe(2);
    expect((await run(['amendment', 'list', '--overdue=yes', '--username', 'him1'])).code).toBe(2);
    const clerkRun = await run(['amendment', 'list', '--username', 'clerk1']);
    expect(clerkRun).toMatchObject({ code: 1, err: expect.stringContaining('may not list the amendment requests (403)') });
  });
});
