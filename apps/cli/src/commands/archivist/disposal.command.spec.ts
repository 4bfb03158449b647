import { testIo } from '../../testing/test-io';
import { ADMIN_PASSWORD, login, startApp, TestApp } from '../../../../../test/e2e/support/harness';
import { runCli } from '../../program';

/**
 * The disposal commands' argument handling and exit codes against the real app: a dry run of a
 * proposal answers the server's lists, and an unknown batch is reported as the server's 404.
 */
const PASSWORD = 'archivist-password-for-tests';
const ID = '0190a3c4-0000-7000-8000-000000000001';

describe('medrec disposal: arguments and exit codes', () => {
  let app: TestApp;
  let env: Record<string, string>;

  beforeAll(async () => {
    app = await startApp(undefined, { MEDREC_OCR_IN_PROCESS: 'false' });
    const admin = await login(app.baseUrl, 'admin', ADMIN_PASSWORD);
    const res = await admin.post('/api/users', { username: 'archivist1', password: PASSWORD, roles: ['archivist'] });
    if (res.status !== 201) throw new Error(`create archivist: ${res.status}`);
    env = { MEDREC_SERVER: app.baseUrl, MEDREC_PASSWORD: PASSWORD };
  });

  afterAll(() => app.close());

  async function run(args: string[], envOverride: Record<string, string | undefined> = env) {
    const io = testIo(envOverride);
    const code = await runCli(['disposal', ...args, '--username', 'archivist1'], io);
    return { code, out: io.out(), err: io.err() };
  }

  it.each([
    [['propose', '--authority', 'GS-12']],
    [['propose', '--as-of', '2024-02-30', '--authority', 'GS-12']],
    [['propose', '--as-of', '2026-06-30']],
    [['propose', '--as-of', '2026-06-30', '--authority', ' ']],
    [['propose', '--as-of', '2026-06-30', '--authority', 'GS-12', '--document-type', 'x-ray']],
    [['propose', '--as-of', '2026-06-30', '--authority', 'GS-12', '--record', 'not-a-uuid']],
    [['approve']],
    [['approve', 'not-a-uuid']],
    [['execute', 'not-a-uuid']],
    [['execute', ID, '--purpose', 'curiosity']],
    [['show', '12']],
    [['certificate', 'nope', '--pdf', 'out.pdf']],
    [['certificate', ID, '--purpose', 'TREATMENT']],
    [['frobnicate', ID]],
  ])('%j is a bad invocation: exit code 2, nothing sent', async (args) => {
    const res = await run(args);
    expect(res.code).toBe(2);
    expect(res.out).toBe('');
  });

  it('refuses plain HTTP to another machine unless allowed', async () => {
    const res = await run(['show', ID, '--server', 'http://medrec.example']);
    expect(res).toMatchObject({ code: 2, err: expect.stringContaining('plain HTTP') });
  });

  it('proposes a dry run and prints what the server would include (nothing is due here)', async () => {
    const res = await run(['propose', '--as-of', '2026-06-30', '--authority', 'GS-12', '--dry-run', '--json']);
    expect(res).toMatchObject({ code: 0 });
    expect(JSON.parse(res.out)).toMatchObject({ included: [], excluded: [] });
  });

  it.each([
    [['approve', ID], 'approve the disposal batch'],
    [['execute', ID], 'execute the disposal batch'],
    [['show', ID], 'read the disposal batch'],
    [['certificate', ID, '--pdf', 'never-written.pdf'], 'read the certificate'],
  ])('%j signs in, and reports what the server answers for an unknown batch (404: exit code 1)', async (args, what) => {
    const res = await run(args);
    expect(res).toMatchObject({ code: 1, err: expect.stringContaining(`Could not ${what}: not found (404)`) });
  });
});
