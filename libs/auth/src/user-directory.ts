import { CommandContext, EventSourcedRunner, StreamCache } from '@medrec/application';
import { DomainError, Role, USERS_STREAM, UserAccount, UserCommand, UserEvent, UsersState, usersDecider } from '@medrec/domain';
import { WrongExpectedRevisionError } from '@medrec/event-store';
import { randomUUID } from 'node:crypto';
import { HashingSlots, UNBOUNDED_HASHING } from './hashing-slots';
import { hashPassword, verifyPassword } from './password-hasher';
import { passwordPolicyProblem } from './password-policy';

/** Computed once so that unknown usernames cost as much as wrong passwords (no user enumeration by timing). */
let dummyHash: Promise<string> | undefined;

export type SignInOutcome = 'ok' | 'wrong-password' | 'unknown-user' | 'locked' | 'inactive';

export interface SignInResult {
  outcome: SignInOutcome;
  /** The account the username names, whatever the outcome (undefined for an unknown username). */
  account?: UserAccount;
}

export interface UserChanges {
  roles?: string[];
  active?: boolean;
  locked?: false;
}

export interface UserDirectoryOptions {
  /** How old the cached directory may be for per-request checks and sign-ins (default 1000 ms). */
  refreshMs?: number;
  /** Where password hashes run (default: unbounded). */
  hashing?: HashingSlots;
  /** The clock of the cache's age, in ms (default: performance.now); specs pass their own. */
  now?: () => number;
}

/** Appends decided on the directory as it stands are decided again when another append came first. */
const MAX_ATTEMPTS = 5;

/** The users aggregate (one stream) and the look-ups over it. */
export class UserDirectory {
  private readonly cache: StreamCache<UserCommand, UserEvent, UsersState>;
  private readonly hashing: HashingSlots;

  constructor(
    private readonly eventSourced: EventSourcedRunner,
    options: UserDirectoryOptions = {},
  ) {
    this.cache = new StreamCache(eventSourced, USERS_STREAM, usersDecider, options.refreshMs ?? 1000, options.now);
    this.hashing = options.hashing ?? UNBOUNDED_HASHING;
  }

  async create(input: { username: string; password: string; roles: string[] }, context: CommandContext): Promise<UserAccount> {
    const problem = passwordPolicyProblem(input.password, typeof input.username === 'string' ? input.username : undefined);
    if (problem) throw DomainError.invalid([{ field: 'password', message: problem }]);
    const passwordHash = await this.hashing.run(() => hashPassword(input.password));
    const command = {
      type: 'CreateUser' as const,
      userId: randomUUID(),
      username: input.username,
      roles: input.roles,
      passwordHash,
      actor: context.actor.username,
      at: context.at,
    };
    const state = await this.decide(command, context);
    return state.byUsername.get(input.username.toLowerCase())!;
  }

  /** An administrator's change of roles, active, or an unlock; attributed to the context's actor. */
  async update(userId: string, changes: UserChanges, context: CommandContext): Promise<UserAccount> {
    const command = { type: 'UpdateUser' as const, userId, ...changes, actor: context.actor.username, actorId: context.actor.userId, at: context.at };
    const state = await this.decide(command, context);
    return state.byId.get(userId)!;
  }

  /** Locks an account after repeated failed sign-ins (nothing if it is already locked). */
  async lock(userId: string, failures: number, context: CommandContext): Promise<void> {
    await this.decide({ type: 'LockUser', userId, failures, at: context.at }, context);
  }

  async find(username: string): Promise<UserAccount | undefined> {
    return (await this.cache.fresh()).byUsername.get(username.toLowerCase());
  }

  async findById(userId: string): Promise<UserAccount | undefined> {
    return (await this.cache.fresh()).byId.get(userId);
  }

  async count(): Promise<number> {
    return (await this.cache.fresh()).byUsername.size;
  }

  async list(): Promise<UserAccount[]> {
    const state = await this.cache.fresh();
    return [...state.byUsername.values()].sort((a, b) => a.username.localeCompare(b.username));
  }

  /**
   * The account a token's subject names, if it may act: it exists, is active and not locked.
   * From the cached directory (no read per request); a change is seen within refreshMs.
   */
  async activeAccount(userId: string): Promise<UserAccount | undefined> {
    const account = await this.cached((state) => state.byId.get(userId));
    return account && account.active && !account.locked ? account : undefined;
  }

  /**
   * Checks a password against the (cached) directory. Every outcome costs one password hash, in a
   * hashing slot, so that neither timing nor answers tell unknown, locked or inactive accounts
   * from wrong passwords. Throws HashingBusyError when the hashing queue is full.
   */
  async signIn(username: string, password: string): Promise<SignInResult> {
    const account = typeof username === 'string' ? await this.cached((state) => state.byUsername.get(username.toLowerCase())) : undefined;
    if (!account) {
      dummyHash ??= hashPassword('not-a-real-password-' + randomUUID());
      const hash = await dummyHash;
      await this.hashing.run(() => verifyPassword(String(password), hash));
      return { outcome: 'unknown-user' };
    }
    const matches = await this.hashing.run(() => verifyPassword(String(password), account.passwordHash));
    if (account.locked) return { outcome: 'locked', account };
    if (!account.active) return { outcome: 'inactive', account };
    return { outcome: matches ? 'ok' : 'wrong-password', account };
  }

  /** The account when the password matches and it may sign in; undefined otherwise, in about the same time either way. */
  async authenticate(username: string, password: string): Promise<UserAccount | undefined> {
    const result = await this.signIn(username, password);
    return result.outcome === 'ok' ? result.account : undefined;
  }

  /**
   * A look-up in the cached directory; a miss catches up first (an incremental read of what was
   * appended since), so a user just created elsewhere (the CLI, another server) is found at once.
   */
  private async cached(lookUp: (state: UsersState) => UserAccount | undefined): Promise<UserAccount | undefined> {
    return lookUp(await this.cache.state()) ?? lookUp(await this.cache.fresh());
  }

  /** Decides on the directory as it stands when appended; a concurrent append means deciding again. */
  private async decide(command: UserCommand, context: CommandContext): Promise<UsersState> {
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await this.eventSourced.run({ stream: USERS_STREAM, keyId: null, decider: usersDecider, command, context });
        this.cache.invalidate();
        return result.state;
      } catch (error) {
        if (!(error instanceof WrongExpectedRevisionError) || attempt >= MAX_ATTEMPTS) throw error;
      }
    }
  }
}

export type { Role };
