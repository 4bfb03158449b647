import { CommandContext, EventSourcedRunner } from '@medrec/application';
import { DomainError, passwordProblem, Role, USERS_STREAM, UserAccount, UsersState, usersDecider } from '@medrec/domain';
import { WrongExpectedRevisionError } from '@medrec/event-store';
import { randomUUID } from 'node:crypto';
import { hashPassword, verifyPassword } from './password-hasher';

/** Computed once so that unknown usernames cost as much as wrong passwords (no user enumeration by timing). */
let dummyHash: Promise<string> | undefined;

/** The users aggregate (one stream) and the look-ups over it. */
export class UserDirectory {
  private state: UsersState = usersDecider.initialState();

  constructor(private readonly runner: EventSourcedRunner) {}

  async create(input: { username: string; password: string; roles: string[] }, context: CommandContext): Promise<UserAccount> {
    const problem = passwordProblem(input.password);
    if (problem) throw DomainError.invalid([{ field: 'password', message: problem }]);
    const passwordHash = await hashPassword(input.password);
    const command = { type: 'CreateUser' as const, userId: randomUUID(), username: input.username, roles: input.roles, passwordHash, actor: context.actor.username, at: context.at };
    // Creation is decided on the directory as it stands when appended; a concurrent creation
    // just means deciding again against the newer directory (uniqueness is re-checked).
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await this.runner.run({ stream: USERS_STREAM, keyId: null, decider: usersDecider, command, context });
        this.state = result.state;
        return result.state.byUsername.get(input.username.toLowerCase())!;
      } catch (error) {
        if (!(error instanceof WrongExpectedRevisionError) || attempt >= 5) throw error;
      }
    }
  }

  async find(username: string): Promise<UserAccount | undefined> {
    await this.refresh();
    return this.state.byUsername.get(username.toLowerCase());
  }

  async count(): Promise<number> {
    await this.refresh();
    return this.state.byUsername.size;
  }

  async list(): Promise<UserAccount[]> {
    await this.refresh();
    return [...this.state.byUsername.values()].sort((a, b) => a.username.localeCompare(b.username));
  }

  /** The account when the password matches; undefined otherwise, in about the same time either way. */
  async authenticate(username: string, password: string): Promise<UserAccount | undefined> {
    const account = typeof username === 'string' ? await this.find(username) : undefined;
    if (!account) {
      dummyHash ??= hashPassword('not-a-real-password-' + randomUUID());
      await verifyPassword(String(password), await dummyHash);
      return undefined;
    }
    return (await verifyPassword(String(password), account.passwordHash)) ? account : undefined;
  }

  /** Re-reads the directory: users may have been created by other processes (the CLI, another server). */
  private async refresh(): Promise<void> {
    this.state = (await this.runner.load(USERS_STREAM, null, usersDecider)).state;
  }
}

export type { Role };
