import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandContext, EventSourcedRunner, PhiCodec } from '@medrec/application';
import { SqliteKeyStore } from '@medrec/crypto';
import { DomainError, RECORD_PHI_FIELDS, USERS_STREAM } from '@medrec/domain';
import { SqliteEventStore } from '@medrec/event-store';
import { verifyPassword } from './password-hasher';
import { UserDirectory } from './user-directory';

const admin: CommandContext = {
  actor: { userId: 'u-admin', username: 'ada.admin', role: 'admin' },
  correlationId: 'corr-users',
  at: '2024-03-01T09:00:00.000Z',
};
const PASSWORD = 'a long enough password';

describe('UserDirectory', () => {
  let dir: string;
  let keys: SqliteKeyStore;
  let store: SqliteEventStore;
  let runner: EventSourcedRunner;
  let users: UserDirectory;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'medrec-users-'));
    keys = new SqliteKeyStore({ file: join(dir, 'keys.db'), masterKey: randomBytes(32) });
    store = new SqliteEventStore({ filename: ':memory:' });
    runner = new EventSourcedRunner(store, new PhiCodec(keys, RECORD_PHI_FIELDS));
    users = new UserDirectory(runner);
  });

  afterEach(async () => {
    await store?.close();
    await keys?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Settles to the DomainError kind, or 'ok'. */
  const outcome = (p: Promise<unknown>): Promise<string> =>
    p.then(
      () => 'ok',
      (e) => (e instanceof DomainError ? e.kind : `unexpected ${e?.name}`),
    );

  it('creates a user with a lower-case username and a scrypt hash of the password', async () => {
    const account = await users.create({ username: 'Alice.Smith', password: PASSWORD, roles: ['him', 'clerk'] }, admin);

    expect(account).toEqual({ userId: expect.any(String), username: 'alice.smith', roles: ['him', 'clerk'], passwordHash: expect.stringMatching(/^scrypt\$/) });
    await expect(verifyPassword(PASSWORD, account.passwordHash)).resolves.toBe(true);
    const [event] = await store.readStream(USERS_STREAM);
    expect(event).toMatchObject({ type: 'UserCreated', data: { username: 'alice.smith', createdBy: 'ada.admin' }, metadata: { actor: 'ada.admin', role: 'admin' } });
    expect(JSON.stringify(event)).not.toContain(PASSWORD);
  });

  describe('with a user', () => {
    beforeEach(async () => {
      await users.create({ username: 'alice.smith', password: PASSWORD, roles: ['him'] }, admin);
    });

    it('finds users case-insensitively and answers undefined for unknown ones', async () => {
      await expect(users.find('ALICE.Smith')).resolves.toMatchObject({ username: 'alice.smith', roles: ['him'] });
      await expect(users.find('bob')).resolves.toBeUndefined();
    });

    it('refuses a second user with the same username, whatever its case, with a conflict', async () => {
      const attempt = users.create({ username: 'Alice.SMITH', password: PASSWORD, roles: ['clerk'] }, admin);

      await expect(attempt).rejects.toBeInstanceOf(DomainError);
      await expect(attempt).rejects.toMatchObject({ kind: 'conflict' });
      await expect(users.count()).resolves.toBe(1);
    });

    it('authenticates the right password and refuses a wrong one or an unknown user', async () => {
      await expect(users.authenticate('alice.smith', PASSWORD)).resolves.toMatchObject({ username: 'alice.smith' });
      await expect(users.authenticate('Alice.Smith', PASSWORD)).resolves.toMatchObject({ username: 'alice.smith' });
      await expect(users.authenticate('alice.smith', 'a wrong but long password')).resolves.toBeUndefined();
      await expect(users.authenticate('nobody', PASSWORD)).resolves.toBeUndefined();
    });

    it('sees users created by another directory over the same store (another process)', async () => {
      const elsewhere = new UserDirectory(new EventSourcedRunner(store, new PhiCodec(keys, RECORD_PHI_FIELDS)));
      await elsewhere.create({ username: 'bob.jones', password: PASSWORD, roles: ['clerk'] }, admin);

      await expect(users.find('bob.jones')).resolves.toMatchObject({ roles: ['clerk'] });
      await expect(users.count()).resolves.toBe(2);
      await expect(users.list()).resolves.toMatchObject([{ username: 'alice.smith' }, { username: 'bob.jones' }]);
    });
  });

  it('refuses a short password as invalid, naming the field, and appends nothing', async () => {
    const attempt = users.create({ username: 'carol', password: 'short', roles: ['clerk'] }, admin);

    await expect(attempt).rejects.toMatchObject({ kind: 'invalid', errors: [{ field: 'password', message: expect.stringContaining('at least 10') }] });
    expect(await store.streamRevision(USERS_STREAM)).toBeNull();
  });

  it.each([
    ['a malformed username', { username: '1-not-valid', roles: ['clerk'] }, 'username'],
    ['no role', { username: 'carol', roles: [] }, 'roles'],
    ['an unknown role', { username: 'carol', roles: ['superuser'] }, 'roles'],
  ])('refuses %s as invalid', async (_, input, field) => {
    await expect(users.create({ ...input, password: PASSWORD }, admin)).rejects.toMatchObject({
      kind: 'invalid',
      errors: [expect.objectContaining({ field })],
    });
    await expect(users.count()).resolves.toBe(0);
  });

  it('counts users, 0 for an empty directory', async () => {
    await expect(users.count()).resolves.toBe(0);
    await expect(users.list()).resolves.toEqual([]);
  });

  /**
   * Password hashing runs on the thread pool, so concurrent creations would otherwise reach the
   * store one by one. Blocking the main thread until the hashes are done makes their
   * continuations run in one loop turn: each loads the directory before any append commits.
   */
  function blockEventLoop(ms: number): void {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  }

  it('creates concurrent users with different usernames: a conflicting append is decided again', async () => {
    const pending = ['dan', 'erin'].map((username) => outcome(users.create({ username, password: PASSWORD, roles: ['clerk'] }, admin)));
    blockEventLoop(1000);

    expect(await Promise.all(pending)).toEqual(['ok', 'ok']);
    await expect(users.count()).resolves.toBe(2);
    expect((await store.readStream(USERS_STREAM)).map((e) => e.revision)).toEqual([0, 1]);
    // One append met the other's commit and was retried: 3 attempted appends for 2 events.
    expect(store.stats()).toMatchObject({ operations: 3, events: 2 });
  });

  it('of two concurrent creations of the same username, creates one and answers a conflict to the other', async () => {
    const pending = [
      outcome(users.create({ username: 'henry', password: PASSWORD, roles: ['clerk'] }, admin)),
      outcome(users.create({ username: 'Henry', password: PASSWORD, roles: ['legal'] }, admin)),
    ];
    blockEventLoop(1000);

    expect((await Promise.all(pending)).sort()).toEqual(['conflict', 'ok']);
    await expect(users.count()).resolves.toBe(1);
    // The loser's append was refused on revision, then deciding again found the duplicate.
    expect(store.stats()).toMatchObject({ operations: 2, events: 1 });
  });
});
