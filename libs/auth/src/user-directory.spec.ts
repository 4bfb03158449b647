import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandContext, EventSourcedRunner, PhiCodec } from '@medrec/application';
import { SqliteKeyStore } from '@medrec/crypto';
import { DomainError, RECORD_PHI_FIELDS, USERS_STREAM } from '@medrec/domain';
import { EventStore, SqliteEventStore } from '@medrec/event-store';
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
  let eventSourced: EventSourcedRunner;
  let users: UserDirectory;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'medrec-users-'));
    keys = new SqliteKeyStore({ file: join(dir, 'keys.db'), masterKey: randomBytes(32) });
    store = new SqliteEventStore({ filename: ':memory:' });
    eventSourced = new EventSourcedRunner(store, new PhiCodec(keys, RECORD_PHI_FIELDS));
    users = new UserDirectory(eventSourced);
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

    expect(account).toEqual({
      userId: expect.any(String),
      username: 'alice.smith',
      roles: ['him', 'clerk'],
      passwordHash: expect.stringMatching(/^scrypt\$/),
      active: true,
      locked: false,
    });
    await expect(verifyPassword(PASSWORD, account.passwordHash)).resolves.toBe(true);
    const [event] = await store.readStream(USERS_STREAM);
    expect(event).toMatchObject({
      type: 'UserCreated',
      data: { username: 'alice.smith', createdBy: 'ada.admin' },
      metadata: { actor: 'ada.admin', role: 'admin' },
    });
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

    await expect(attempt).rejects.toMatchObject({ kind: 'invalid', errors: [{ field: 'password', message: expect.stringContaining('at least 12') }] });
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

  it.each([
    ['one character repeated', 'zzzzzzzzzzzzzzzz', 'repeated'],
    ['a common password', 'Password1234', 'common'],
    ['containing the username', 'carol-is-my-name-2024', 'username'],
  ])('refuses a password %s, naming the rule, and appends nothing', async (_, password, rule) => {
    await expect(users.create({ username: 'carol', password, roles: ['clerk'] }, admin)).rejects.toMatchObject({
      kind: 'invalid',
      errors: [{ field: 'password', message: expect.stringContaining(rule) }],
    });
    expect(await store.streamRevision(USERS_STREAM)).toBeNull();
  });

  describe('administration, lock-out and sign-in outcomes', () => {
    let id: string;
    const adminCtx = (userId = 'u-admin'): CommandContext => ({ ...admin, actor: { ...admin.actor, userId } });
    beforeEach(async () => {
      id = (await users.create({ username: 'dora', password: PASSWORD, roles: ['clerk'] }, admin)).userId;
    });

    it('changes roles, deactivates, reactivates and unlocks with attributed events; a no-op appends nothing', async () => {
      await expect(users.update(id, { roles: ['auditor', 'legal'] }, admin)).resolves.toMatchObject({ roles: ['auditor', 'legal'] });
      await expect(users.update(id, { active: false }, admin)).resolves.toMatchObject({ active: false });
      await expect(users.update(id, { active: false }, admin)).resolves.toMatchObject({ active: false });
      await expect(users.update(id, { active: true }, admin)).resolves.toMatchObject({ active: true });
      const events = await store.readStream(USERS_STREAM);
      expect(events.map((e) => e.type)).toEqual(['UserCreated', 'UserRolesChanged', 'UserDeactivated', 'UserReactivated']);
      expect(events[1]).toMatchObject({
        data: { userId: id, roles: ['auditor', 'legal'], previousRoles: ['clerk'], changedBy: 'ada.admin' },
        metadata: { actor: 'ada.admin', role: 'admin' },
      });
    });

    it('refuses an administrator demoting or deactivating themself (conflict), an unknown user (not-found), locked: true (invalid)', async () => {
      const selfAdmin = (await users.create({ username: 'adam', password: PASSWORD, roles: ['admin'] }, admin)).userId;
      await expect(outcome(users.update(selfAdmin, { roles: ['clerk'] }, adminCtx(selfAdmin)))).resolves.toBe('conflict');
      await expect(outcome(users.update(selfAdmin, { active: false }, adminCtx(selfAdmin)))).resolves.toBe('conflict');
      await expect(outcome(users.update(selfAdmin, { roles: ['admin', 'auditor'] }, adminCtx(selfAdmin)))).resolves.toBe('ok');
      await expect(outcome(users.update('no-such-id', { active: false }, admin))).resolves.toBe('not-found');
      await expect(outcome(users.update(id, { locked: true as unknown as false }, admin))).resolves.toBe('invalid');
      await expect(outcome(users.update(id, {}, admin))).resolves.toBe('invalid');
    });

    it('signs in only an active, unlocked account with the right password; every refusal costs a hash', async () => {
      await expect(users.signIn('dora', PASSWORD)).resolves.toMatchObject({ outcome: 'ok' });
      await expect(users.signIn('dora', 'a wrong but long password')).resolves.toMatchObject({ outcome: 'wrong-password', account: { userId: id } });
      await expect(users.signIn('nobody', PASSWORD)).resolves.toEqual({ outcome: 'unknown-user' });
      await users.lock(id, 10, admin);
      await expect(users.signIn('dora', PASSWORD)).resolves.toMatchObject({ outcome: 'locked' });
      await expect(users.activeAccount(id)).resolves.toBeUndefined();
      await users.update(id, { locked: false, active: false }, admin);
      await expect(users.signIn('dora', PASSWORD)).resolves.toMatchObject({ outcome: 'inactive' });
      await users.update(id, { active: true }, admin);
      await expect(users.activeAccount(id)).resolves.toMatchObject({ userId: id });
      expect((await store.readStream(USERS_STREAM)).map((e) => e.type)).toEqual([
        'UserCreated',
        'UserLocked',
        'UserDeactivated',
        'UserUnlocked',
        'UserReactivated',
      ]);
    });

    it('sees a change made by another process within refreshMs, without reading the store on every check', async () => {
      let now = 0;
      const cached = new UserDirectory(eventSourced, { refreshMs: 200, now: () => now });
      await expect(cached.activeAccount(id)).resolves.toMatchObject({ userId: id });
      await users.update(id, { active: false }, admin);
      const reads = jest.spyOn(store, 'readStream');
      // Within refreshMs the cached directory answers from memory, however often it is asked...
      for (let i = 0; i < 50; i++) await expect(cached.activeAccount(id)).resolves.toMatchObject({ userId: id });
      expect(reads).not.toHaveBeenCalled();
      now += 199;
      await expect(cached.activeAccount(id)).resolves.toMatchObject({ userId: id });
      expect(reads).not.toHaveBeenCalled();
      now += 1;
      // ...after it, one read (of the new events only) catches up.
      await expect(cached.activeAccount(id)).resolves.toBeUndefined();
      expect(reads).toHaveBeenCalledTimes(1);
      expect(reads.mock.calls[0][1]).toEqual({ fromRevision: 1 });
    });
  });

  it('counts users, 0 for an empty directory', async () => {
    await expect(users.count()).resolves.toBe(0);
    await expect(users.list()).resolves.toEqual([]);
  });

  /**
   * Password hashing runs on the thread pool, so concurrent creations would otherwise reach the
   * store one by one. Blocking the main thread until the hashes are done makes their
   * continuations run in one loop turn: each loads the directory before any append commits.
   * One store reads a stream only after its own writes to it have settled, so the two creations
   * come from two directories on two stores of the same file, as from two processes.
   */
  function blockEventLoop(ms: number): void {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  }

  /** Two directories on two stores of one file (two processes), and how many appends the stores were asked for. */
  async function twoProcesses(): Promise<{ stores: SqliteEventStore[]; directories: UserDirectory[]; appends: () => number; close: () => Promise<void> }> {
    const stores = [0, 1].map(() => new SqliteEventStore({ filename: join(dir, 'events.db') }));
    let appends = 0;
    const counting = (target: SqliteEventStore): EventStore =>
      new Proxy(target, {
        get(store, name) {
          const value: unknown = Reflect.get(store, name, store);
          if (name === 'append') appends++;
          return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(store) : value;
        },
      });
    const directories = stores.map((s) => new UserDirectory(new EventSourcedRunner(counting(s), new PhiCodec(keys, RECORD_PHI_FIELDS))));
    // Both know the (empty) directory before the race, as long-running processes do.
    await Promise.all(directories.map((d) => d.count()));
    return { stores, directories, appends: () => appends, close: async () => void (await Promise.all(stores.map((s) => s.close()))) };
  }

  it('creates concurrent users with different usernames: a conflicting append is decided again', async () => {
    const { stores, directories, appends, close } = await twoProcesses();
    try {
      const pending = ['dan', 'erin'].map((username, i) => outcome(directories[i].create({ username, password: PASSWORD, roles: ['clerk'] }, admin)));
      blockEventLoop(1000);

      expect(await Promise.all(pending)).toEqual(['ok', 'ok']);
      await expect(new UserDirectory(new EventSourcedRunner(stores[0], new PhiCodec(keys, RECORD_PHI_FIELDS))).count()).resolves.toBe(2);
      expect((await stores[0].readStream(USERS_STREAM)).map((e) => e.revision)).toEqual([0, 1]);
      // One append met the other's commit and was retried: 3 attempted appends for 2 events.
      expect(appends()).toBe(3);
    } finally {
      await close();
    }
  });

  it('of two concurrent creations of the same username, creates one and answers a conflict to the other', async () => {
    const { stores, directories, appends, close } = await twoProcesses();
    try {
      const pending = [
        outcome(directories[0].create({ username: 'henry', password: PASSWORD, roles: ['clerk'] }, admin)),
        outcome(directories[1].create({ username: 'Henry', password: PASSWORD, roles: ['legal'] }, admin)),
      ];
      blockEventLoop(1000);

      expect((await Promise.all(pending)).sort()).toEqual(['conflict', 'ok']);
      expect(await stores[0].readStream(USERS_STREAM)).toHaveLength(1);
      // The loser's append was refused on revision, then deciding again found the duplicate.
      expect(appends()).toBe(2);
    } finally {
      await close();
    }
  });

  it("in one process, a creation loads the directory after the other creation's append has settled: no conflict to retry", async () => {
    const pending = ['dan', 'erin'].map((username) => outcome(users.create({ username, password: PASSWORD, roles: ['clerk'] }, admin)));
    blockEventLoop(1000);

    expect(await Promise.all(pending)).toEqual(['ok', 'ok']);
    await expect(users.count()).resolves.toBe(2);
    expect(store.stats()).toMatchObject({ operations: 2, events: 2 });
  });
});
