import { DomainError } from '../shared/domain-error';
import { isRole, Role } from '../shared/roles';
import { Validator } from '../shared/validation';

/** All users live in one stream: their number is small and username uniqueness needs one consistency boundary. */
export const USERS_STREAM = 'users';

export interface UserCreated {
  type: 'UserCreated';
  data: { userId: string; username: string; roles: Role[]; passwordHash: string; createdBy: string; createdAt: string };
}

export type UserEvent = UserCreated;

export interface CreateUser {
  type: 'CreateUser';
  userId: string;
  username: string;
  roles: string[];
  /** The shell hashes the password (scrypt); the domain never sees it. */
  passwordHash: string;
  actor: string;
  at: string;
}

export type UserCommand = CreateUser;

export interface UserAccount {
  userId: string;
  username: string;
  roles: Role[];
  passwordHash: string;
}

export interface UsersState {
  /** Keyed by lower-case username. */
  byUsername: ReadonlyMap<string, UserAccount>;
}

export const USERNAME_PATTERN = /^[a-z][a-z0-9._-]{1,63}$/;
export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 200;

export function passwordProblem(password: unknown): string | null {
  if (typeof password !== 'string') return 'must be a string';
  if (password.length < PASSWORD_MIN_LENGTH) return `must be at least ${PASSWORD_MIN_LENGTH} characters`;
  if (password.length > PASSWORD_MAX_LENGTH) return `must be at most ${PASSWORD_MAX_LENGTH} characters`;
  return null;
}

export const usersDecider = {
  initialState: (): UsersState => ({ byUsername: new Map() }),

  decide(command: UserCommand, state: UsersState): UserEvent[] {
    const username = command.username?.toLowerCase?.();
    new Validator()
      .check(typeof username === 'string' && USERNAME_PATTERN.test(username), 'username', 'must be 2-64 characters: a letter, then letters, digits, . _ -')
      .check(Array.isArray(command.roles) && command.roles.length > 0, 'roles', 'must name at least one role')
      .check(!Array.isArray(command.roles) || command.roles.every(isRole), 'roles', 'contains an unknown role')
      .throwIfInvalid();
    if (state.byUsername.has(username)) throw new DomainError('conflict', 'A user with this username already exists');
    return [
      {
        type: 'UserCreated',
        data: {
          userId: command.userId,
          username,
          roles: [...new Set(command.roles as Role[])],
          passwordHash: command.passwordHash,
          createdBy: command.actor,
          createdAt: command.at,
        },
      },
    ];
  },

  evolve(state: UsersState, event: UserEvent): UsersState {
    if (event.type !== 'UserCreated') return state;
    const { userId, username, roles, passwordHash } = event.data;
    const byUsername = new Map(state.byUsername);
    byUsername.set(username, { userId, username, roles, passwordHash });
    return { byUsername };
  },
};
