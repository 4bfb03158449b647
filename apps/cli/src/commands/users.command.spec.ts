import { testIo, type TestIo } from '../testing/test-io';
import { USERS_STREAM } from '@medrec/domain';
import { SqliteEventStore } from '@medrec/event-store';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { login, startApp } from '../../../../test/e2e/support/harness';
import { CLI_ACTOR_ID, operatorName } from '../cli-context';
import { runCli } from '../program';
import { usersAdd, usersList } from './users.command';

const PASSWORD = 'long-enough-password';

function testIoIn(dataDir: string, env: Record<string, string> = {}): TestIo {
  return testIo({ MEDREC_DATA_DIR: dataDir, ...env });
}

function stdinWith(io: TestIo, text: string, tty = false): TestIo {
  const stdin = new PassThrough() as TestIo['stdin'];
  if (tty) {
    stdin.isTTY = true;
    stdin.setRawMode = jest.fn();
  }
  stdin.write(text);
  if (!tty) stdin.end();
  return { ...io, stdin };
}

async function usersEvents(dataDir: string) {
  const store = new SqliteEventStore({ filename: join(dataDir, 'events.db') });
  try {
    return await store.readStream(USERS_STREAM);
  } finally {
    await store.close();
  }
}

describe('medrec users', () => {
  let dataDir: string;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'medrec-cli-'));
  });

  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('adds a user from MEDREC_PASSWORD, as the OS user acting as admin', async () => {
    const io = testIoIn(dataDir, { MEDREC_PASSWORD: PASSWORD });

    const code = await runCli(['users', 'add', 'Alice', '--role', 'clerk', '--role', 'him,clerk'], io);

    expect({ code, err: io.err() }).toEqual({ code: 0, err: '' });
    expect(io.out()).toBe('Created user alice (clerk, him)\n');
    const [event, ...rest] = await usersEvents(dataDir);
    expect(rest).toHaveLength(0);
    expect(event.type).toBe('UserCreated');
    expect(event.data).toMatchObject({ username: 'alice', roles: ['clerk', 'him'], createdBy: `cli:${operatorName(process.env)}` });
    expect(event.data.passwordHash).not.toContain(PASSWORD);
    expect(event.metadata).toMatchObject({ actor: `cli:${operatorName(process.env)}`, actorId: CLI_ACTOR_ID, role: 'admin' });
  });

  it('reads the password from the first line of stdin with --password-stdin, before the environment', async () => {
    const io = stdinWith(testIoIn(dataDir, { MEDREC_PASSWORD: 'not-this-one-please' }), `${PASSWORD}\r\nsecond line\n`);

    await usersAdd(io, 'bob', { role: ['clinician'], passwordStdin: true });

    const [event] = await usersEvents(dataDir);
    expect(event.data).toMatchObject({ username: 'bob', roles: ['clinician'] });
    const app = await startApp(dataDir);
    try {
      await expect(login(app.baseUrl, 'bob', PASSWORD)).resolves.toBeDefined();
      await expect(login(app.baseUrl, 'bob', 'not-this-one-please')).rejects.toThrow(/401/);
    } finally {
      await app.close({ keepData: true });
    }
  });

  it('still reads the former MEDREC_USER_PASSWORD, with a deprecation warning on stderr', async () => {
    const io = testIoIn(dataDir, { MEDREC_USER_PASSWORD: PASSWORD });
    await usersAdd(io, 'erin', { role: ['clerk'] });
    expect(io.err()).toBe('warning: MEDREC_USER_PASSWORD is deprecated and will be removed; set MEDREC_PASSWORD instead\n');
    expect((await usersEvents(dataDir)).map((e) => e.data.username)).toEqual(['erin']);

    const both = testIoIn(dataDir, { MEDREC_PASSWORD: PASSWORD, MEDREC_USER_PASSWORD: 'not-this-one-please' });
    await usersAdd(both, 'frank', { role: ['clerk'] });
    expect(both.err()).toBe('');
  });

  it('prompts twice on a terminal and refuses different answers', async () => {
    const matching = stdinWith(testIoIn(dataDir), `${PASSWORD}\r${PASSWORD}\r`, true);
    await usersAdd(matching, 'carol', { role: ['auditor'] });
    expect(matching.err()).toBe('Password for carol: \nRepeat the password: \n');
    expect(matching.stdin.setRawMode).toHaveBeenCalledWith(true);
    expect(matching.err()).not.toContain(PASSWORD);

    const different = stdinWith(testIoIn(dataDir), `${PASSWORD}\rsomething-else-entirely\r`, true);
    expect(await runCli(['users', 'add', 'dave', '--role', 'auditor'], different)).toBe(2);
    expect(different.err()).toContain('error: The two passwords do not match');
    expect((await usersEvents(dataDir)).map((e) => e.data.username)).toEqual(['carol']);
  });

  it('refuses a duplicate username (case-insensitive) with exit code 1', async () => {
    const io = testIoIn(dataDir, { MEDREC_PASSWORD: PASSWORD });
    await usersAdd(io, 'alice', { role: ['clerk'] });

    const again = testIoIn(dataDir, { MEDREC_PASSWORD: PASSWORD });
    expect(await runCli(['users', 'add', 'ALICE', '--role', 'him'], again)).toBe(1);
    expect(again.err()).toBe('error: A user named "alice" already exists\n');
    expect(await usersEvents(dataDir)).toHaveLength(1);
  });

  it('refuses an unknown role with exit code 2, listing the valid roles, before touching the store', async () => {
    const io = testIoIn(dataDir, { MEDREC_PASSWORD: PASSWORD });

    expect(await runCli(['users', 'add', 'alice', '--role', 'clerk,nurse'], io)).toBe(2);

    expect(io.err()).toBe('error: Unknown role: nurse. Valid roles: clerk, clinician, him, legal, archivist, auditor, admin\n');
    expect(await usersEvents(dataDir)).toHaveLength(0);
  });

  it.each([
    ['no --role', ['users', 'add', 'alice'], { MEDREC_PASSWORD: PASSWORD }, /required option '-r, --role <role>' not specified/],
    [
      'no password source',
      ['users', 'add', 'alice', '--role', 'clerk'],
      {},
      /No password for alice: pipe it with --password-stdin, set MEDREC_PASSWORD, or run in a terminal/,
    ],
    ['a short password', ['users', 'add', 'alice', '--role', 'clerk'], { MEDREC_PASSWORD: 'short' }, /error: password: must be at least 12 characters/],
    ['an invalid username', ['users', 'add', '1alice', '--role', 'clerk'], { MEDREC_PASSWORD: PASSWORD }, /Invalid username "1alice"/],
    ['an unknown option', ['users', 'add', 'alice', '--role', 'clerk', '--password', 'x'], {}, /unknown option '--password'/],
    ['an invalid configuration', ['users', 'list'], { EVENT_STORE: 'mysql' }, /EVENT_STORE must be sqlite or eventstoredb/],
  ])('exits with code 2 on %s', async (_case, argv, env, message) => {
    const io = testIoIn(dataDir, env);
    expect(await runCli(argv, io)).toBe(2);
    expect(io.err()).toMatch(message);
    expect(await usersEvents(dataDir)).toHaveLength(0);
  });

  it('refuses an empty stdin with --password-stdin', async () => {
    const io = testIoIn(dataDir);
    expect(await runCli(['users', 'add', 'alice', '--role', 'clerk', '--password-stdin'], io)).toBe(2);
    expect(io.err()).toContain('No password on standard input');
  });

  it('lists users and their roles, as a table or JSON', async () => {
    const empty = testIoIn(dataDir);
    expect(await runCli(['users', 'list'], empty)).toBe(0);
    expect(empty.out()).toBe('No users.\n');

    const env = { MEDREC_PASSWORD: PASSWORD };
    await usersAdd(testIoIn(dataDir, env), 'zoe', { role: ['archivist'] });
    await usersAdd(testIoIn(dataDir, env), 'alexander.b', { role: ['him,legal'] });

    const table = testIoIn(dataDir);
    expect(await runCli(['users', 'list'], table)).toBe(0);
    expect(table.out()).toBe('USERNAME     ROLES\nalexander.b  him,legal\nzoe          archivist\n');

    const json = testIoIn(dataDir);
    await usersList(json, { json: true });
    expect(JSON.parse(json.out())).toEqual([
      { userId: expect.any(String), username: 'alexander.b', roles: ['him', 'legal'], active: true, locked: false },
      { userId: expect.any(String), username: 'zoe', roles: ['archivist'], active: true, locked: false },
    ]);
  });

  it.each([
    ['one character repeated', 'kkkkkkkkkkkkkk', /one character repeated/],
    ['a common password', 'qwerty123456', /common/],
    ['containing the username', 'alice-in-wonderland', /username/],
  ])('refuses a password %s (NIST SP 800-63B), appending nothing', async (_, password, rule) => {
    const io = testIoIn(dataDir, { MEDREC_PASSWORD: password });
    expect(await runCli(['users', 'add', 'alice', '--role', 'clerk'], io)).toBe(2);
    expect(io.err()).toMatch(rule);
    expect(io.err()).not.toContain(password);
    expect(await usersEvents(dataDir)).toEqual([]);
  });

  it('set-roles replaces the roles and unlock lifts a lock-out, attributed to the operator', async () => {
    await usersAdd(testIoIn(dataDir, { MEDREC_PASSWORD: PASSWORD }), 'alice', { role: ['clerk'] });

    const setRoles = testIoIn(dataDir);
    expect(await runCli(['users', 'set-roles', 'Alice', '--role', 'him,legal'], setRoles)).toBe(0);
    expect(setRoles.out()).toBe('Roles of alice: him, legal\n');

    const notLocked = testIoIn(dataDir);
    expect(await runCli(['users', 'unlock', 'alice'], notLocked)).toBe(0);
    expect(notLocked.out()).toBe('alice is not locked\n');

    // Locked as the server locks it after repeated failed sign-ins.
    const { openCliContext } = await import('../cli-context');
    const context = await openCliContext({ MEDREC_DATA_DIR: dataDir });
    try {
      const account = (await context.users.find('alice'))!;
      await context.users.lock(account.userId, 10, context.commandContext());
    } finally {
      await context.close();
    }
    const listed = testIoIn(dataDir);
    await runCli(['users', 'list'], listed);
    expect(listed.out()).toContain('alice     him,legal  (locked)');

    const unlock = testIoIn(dataDir);
    expect(await runCli(['users', 'unlock', 'alice'], unlock)).toBe(0);
    expect(unlock.out()).toBe('Unlocked alice\n');
    const events = await usersEvents(dataDir);
    expect(events.map((e) => e.type)).toEqual(['UserCreated', 'UserRolesChanged', 'UserLocked', 'UserUnlocked']);
    expect(events[1]).toMatchObject({ data: { roles: ['him', 'legal'] }, metadata: { actor: `cli:${operatorName(process.env)}`, role: 'admin' } });
    expect(events[3].metadata).toMatchObject({ actor: `cli:${operatorName(process.env)}` });

    const unknown = testIoIn(dataDir);
    expect(await runCli(['users', 'unlock', 'nobody'], unknown)).toBe(1);
    expect(unknown.err()).toContain('No user named "nobody"');
  });

  it('creates users the HTTP app signs in, before it starts and while it runs', async () => {
    await usersAdd(testIoIn(dataDir, { MEDREC_PASSWORD: PASSWORD }), 'alice', { role: ['clerk'] });

    const app = await startApp(dataDir);
    try {
      const alice = await login(app.baseUrl, 'alice', PASSWORD);
      expect(alice).toBeDefined();

      // The server holds its own connection to the same SQLite file meanwhile.
      await usersAdd(testIoIn(dataDir, { MEDREC_PASSWORD: PASSWORD }), 'henry', { role: ['him'] });
      const res = await fetch(`${app.baseUrl}/api/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'henry', password: PASSWORD }),
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ accessToken: expect.any(String) });
    } finally {
      await app.close({ keepData: true });
    }
  });

  it('prints help with exit code 0 and a bare invocation with exit code 2', async () => {
    const help = testIoIn(dataDir);
    expect(await runCli(['users', 'add', '--help'], help)).toBe(0);
    expect(help.out()).toContain('--password-stdin');
    expect(help.out()).toContain('MEDREC_PASSWORD (formerly MEDREC_USER_PASSWORD');

    const bare = testIoIn(dataDir);
    expect(await runCli([], bare)).toBe(2);
    expect(bare.err()).toContain('users');
  });
});
