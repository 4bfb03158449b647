import { testIo } from '../../testing/test-io';
import { ADMIN_PASSWORD, Client, login, purpose, recordForm, startApp, TestApp } from '../../../../../test/e2e/support/harness';
import { runCli } from '../../program';
import { retentionDue } from './retention.command';

/** `retention due` and `archive` against the real app on a loopback port, as an archivist would run them against a remote server. */
const PASSWORD = 'archivist-password-for-tests';

describe('medrec retention due and archive', () => {
  let app: TestApp;
  let clerk: Client;
  let archivist: Client;
  let env: Record<string, string>;
  const r: Record<string, string> = {};
  let seq = 0;

  async function upload(fields: Record<string, string>): Promise<string> {
    const res = await clerk.request('POST', '/api/records', { form: recordForm({ mrn: `CLI-${++seq}`, ...fields }) });
    if (res.status !== 201) throw new Error(`fixture record: ${res.status}`);
    return res.body.id;
  }

  beforeAll(async () => {
    app = await startApp(undefined, { MEDREC_OCR_IN_PROCESS: 'false' });
    const admin = await login(app.baseUrl, 'admin', ADMIN_PASSWORD);
    for (const [username, roles] of [
      ['archivist1', ['archivist']],
      ['clerk1', ['clerk']],
    ] as const) {
      const res = await admin.post('/api/users', { username, password: PASSWORD, roles });
      if (res.status !== 201) throw new Error(`create ${username}: ${res.status}`);
    }
    clerk = await login(app.baseUrl, 'clerk1', PASSWORD);
    archivist = await login(app.baseUrl, 'archivist1', PASSWORD);
    // Due as of 2026-06-30: 10 years after 2010 and 2012; 6 years after 2015 (correspondence). Not due: 2022.
    r.a = await upload({ encounterDate: '2010-03-02' });
    r.b = await upload({ encounterDate: '2012-04-05' });
    r.letter = await upload({ documentType: 'correspondence', encounterDate: '2015-01-10' });
    r.recent = await upload({ encounterDate: '2022-08-09' });
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

  const statusOf = async (id: string) => (await archivist.get(`/api/records/${id}`, purpose('operations'))).body.status;

  describe('retention due', () => {
    it('prints every record due as of a day, as JSON', async () => {
      const res = await run(['retention', 'due', '--as-of', '2026-06-30', '--username', 'archivist1', '--json']);
      expect({ code: res.code, err: res.err }).toEqual({ code: 0, err: '' });
      expect(res.json()).toEqual({
        asOf: '2026-06-30',
        records: [
          { id: r.a, documentType: 'discharge-summary', retentionUntil: '2020-03-02', rule: '10 years after last encounter 2010-03-02', held: false },
          { id: r.letter, documentType: 'correspondence', retentionUntil: '2021-01-10', rule: '6 years after last encounter 2015-01-10', held: false },
          { id: r.b, documentType: 'discharge-summary', retentionUntil: '2022-04-05', rule: '10 years after last encounter 2012-04-05', held: false },
        ],
      });
    });

    it('prints a table, filtered by document type, with a bearer token instead of a password', async () => {
      const token = (await new Client(app.baseUrl).post('/api/auth/token', { username: 'archivist1', password: PASSWORD })).body.accessToken;
      const res = await run(['retention', 'due', '--as-of', '2026-06-30', '--document-type', 'correspondence'], {
        MEDREC_SERVER: app.baseUrl,
        MEDREC_TOKEN: token,
      });
      expect(res.code).toBe(0);
      expect(res.out).toBe(
        'RECORD                                TYPE            RETAIN UNTIL  HOLD  RULE\n' +
          `${r.letter}  correspondence  2021-01-10          6 years after last encounter 2015-01-10\n` +
          '1 record due as of 2026-06-30\n',
      );
    });

    it('pages through the whole list', async () => {
      const io = testIo(env);
      const records = await retentionDue(io, { asOf: '2026-06-30', username: 'archivist1', json: true }, { pageSize: 1 });
      expect(records.map((x) => x.id)).toEqual([r.a, r.letter, r.b]);
    });

    it('exit code 2 for a bad invocation, 1 for a refusal', async () => {
      expect((await run(['retention', 'due', '--as-of', '2024-02-30', '--username', 'archivist1'])).code).toBe(2);
      expect((await run(['retention', 'due', '--username', 'archivist1'])).code).toBe(2);
      expect((await run(['retention', 'due', '--as-of', '2026-06-30', '--document-type', 'x-ray', '--username', 'archivist1'])).code).toBe(2);
      expect((await run(['retention', 'due', '--as-of', '2026-06-30'], { MEDREC_SERVER: app.baseUrl })).code).toBe(2);
      expect((await run(['retention', 'due', '--as-of', '2026-06-30', '--server', 'http://medrec.example', '--username', 'archivist1'])).code).toBe(2);
      const clerkRun = await run(['retention', 'due', '--as-of', '2026-06-30', '--username', 'clerk1']);
      expect(clerkRun).toMatchObject({ code: 1, err: expect.stringContaining('may not list the records due (403)') });
      const wrong = await run(['retention', 'due', '--as-of', '2026-06-30', '--username', 'archivist1'], { ...env, MEDREC_PASSWORD: 'not-the-password' });
      expect(wrong).toMatchObject({ code: 1, err: expect.stringContaining('refused the username or password') });
    });
  });

  describe('archive', () => {
    it('archives the records inactive since a day; a re-run archives nothing new', async () => {
      const res = await run(['archive', '--inactive-since', '2016-01-01', '--username', 'archivist1', '--json']);
      expect({ code: res.code, err: res.err }).toEqual({ code: 0, err: '' });
      const body = res.json();
      expect(body).toEqual({ id: expect.any(String), archived: [r.a, r.b, r.letter].sort(), position: expect.any(Number) });
      for (const id of [r.a, r.b, r.letter]) expect(await statusOf(id)).toBe('archived');
      expect(await statusOf(r.recent)).toBe('active');

      const again = await run(['archive', '--inactive-since', '2016-01-01', '--username', 'archivist1']);
      expect(again.code).toBe(0);
      expect(again.out).toMatch(/^Archive batch [0-9a-f-]{36}: 0 records archived\n$/);

      const resumed = await run(['archive', '--resume', body.id, '--username', 'archivist1']);
      expect(resumed.code).toBe(0);
      expect(resumed.out).toBe(`${body.archived.map((id: string) => `archived ${id}\n`).join('')}Archive batch ${body.id}: 3 records archived\n`);
    });

    it('exit code 2 for a bad invocation (checked here or by the server), 1 for a refusal', async () => {
      for (const args of [
        ['archive', '--inactive-since', '2024-02-30'],
        ['archive'],
        ['archive', '--inactive-since', '2024-01-01', '--document-type', 'x-ray'],
        ['archive', '--resume', 'not-a-uuid'],
        ['archive', '--inactive-since', '2024-01-01', '--reason', 'x'.repeat(2001)],
      ]) {
        const res = await run([...args, '--username', 'archivist1']);
        expect({ args, code: res.code }).toEqual({ args, code: 2 });
      }
      const unknown = await run(['archive', '--resume', '00000000-0000-4000-8000-000000000000', '--username', 'archivist1']);
      expect(unknown).toMatchObject({ code: 1, err: expect.stringContaining('not found (404)') });
      const clerkRun = await run(['archive', '--inactive-since', '2030-01-01', '--username', 'clerk1']);
      expect(clerkRun).toMatchObject({ code: 1, err: expect.stringContaining('may not archive (403)') });
      expect(await statusOf(r.recent)).toBe('active');
    });
  });
});
