import { type Decider, unhandled } from '../shared/decider';
import { DomainError } from '../shared/domain-error';
import { isRole, Role } from '../shared/roles';
import { Validator } from '../shared/validation';

/** All users live in one stream: their number is small and username uniqueness needs one consistency boundary. */
export const USERS_STREAM = 'users';

export interface UserCreated {
  type: 'UserCreated';
  data: { userId: string; username: string; roles: Role[]; passwordHash: string; createdBy: string; createdAt: string };
}

export interface UserRolesChanged {
  type: 'UserRolesChanged';
  data: { userId: string; roles: Role[]; previousRoles: Role[]; changedBy: string; changedAt: string };
}

export interface UserDeactivated {
  type: 'UserDeactivated';
  data: { userId: string; deactivatedBy: string; deactivatedAt: string };
}

export interface UserReactivated {
  type: 'UserReactivated';
  data: { userId: string; reactivatedBy: string; reactivatedAt: string };
}

/** After repeated failed sign-ins; attributed to the server's sign-in process. */
export interface UserLocked {
  type: 'UserLocked';
  data: { userId: string; failures: number; lockedAt: string };
}

export interface UserUnlocked {
  type: 'UserUnlocked';
  data: { userId: string; unlockedBy: string; unlockedAt: string };
}

export type UserEvent = UserCreated | UserRolesChanged | UserDeactivated | UserReactivated | UserLocked | UserUnlocked;

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

/** An administrator's change: each given field is set; `locked` may only be lifted. */
export interface UpdateUser {
  type: 'UpdateUser';
  userId: string;
  roles?: string[];
  active?: boolean;
  locked?: false;
  actor: string;
  /** The acting user's id: an administrator may not demote or deactivate themself. */
  actorId: string;
  at: string;
}

export interface LockUser {
  type: 'LockUser';
  userId: string;
  failures: number;
  at: string;
}

export type UserCommand = CreateUser | UpdateUser | LockUser;

export interface UserAccount {
  userId: string;
  username: string;
  roles: Role[];
  passwordHash: string;
  active: boolean;
  locked: boolean;
}

export interface UsersState {
  /** Keyed by lower-case username. */
  byUsername: ReadonlyMap<string, UserAccount>;
  byId: ReadonlyMap<string, UserAccount>;
}

export const USERNAME_MIN_LENGTH = 2;
export const USERNAME_MAX_LENGTH = 64;
export const USERNAME_PATTERN = new RegExp(`^[a-z][a-z0-9._-]{${USERNAME_MIN_LENGTH - 1},${USERNAME_MAX_LENGTH - 1}}$`);
export const USERNAME_RULE = `must be ${USERNAME_MIN_LENGTH}-${USERNAME_MAX_LENGTH} characters: a letter, then letters, digits, . _ -`;
/** NIST SP 800-63B: at least 8, and 15 where a password is the only factor; 12 here, with a common-password list. */
export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 200;

function validRoles(roles: unknown, v: Validator): void {
  v.check(Array.isArray(roles) && roles.length > 0, 'roles', 'must name at least one role').check(
    !Array.isArray(roles) || roles.every(isRole),
    'roles',
    'contains an unknown role',
  );
}

export const usersDecider = {
  initialState: (): UsersState => ({ byUsername: new Map(), byId: new Map() }),

  /** Each command is decided by its own function below. */
  decide(command: UserCommand, state: UsersState): UserEvent[] {
    switch (command.type) {
      case 'CreateUser':
        return decideCreate(command, state);
      case 'UpdateUser':
        return decideUpdate(command, state);
      case 'LockUser':
        return decideLock(command, state);
      default:
        return unhandled(command, 'command');
    }
  },

  /** Events about a user this state does not hold change nothing (they cannot occur in a well-formed stream). */
  evolve(state: UsersState, event: UserEvent): UsersState {
    switch (event.type) {
      case 'UserCreated': {
        const { userId, username, roles, passwordHash } = event.data;
        return withAccount(state, { userId, username, roles, passwordHash, active: true, locked: false });
      }
      case 'UserRolesChanged':
        return updateAccount(state, event.data.userId, { roles: event.data.roles });
      case 'UserDeactivated':
        return updateAccount(state, event.data.userId, { active: false });
      case 'UserReactivated':
        return updateAccount(state, event.data.userId, { active: true });
      case 'UserLocked':
        return updateAccount(state, event.data.userId, { locked: true });
      case 'UserUnlocked':
        return updateAccount(state, event.data.userId, { locked: false });
      default:
        return unhandled(event, 'event');
    }
  },
} satisfies Decider<UserCommand, UserEvent, UsersState>;

function decideCreate(command: CreateUser, state: UsersState): UserEvent[] {
  const username = command.username?.toLowerCase?.();
  const v = new Validator().check(typeof username === 'string' && USERNAME_PATTERN.test(username), 'username', USERNAME_RULE);
  validRoles(command.roles, v);
  v.throwIfInvalid();
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
}

function decideUpdate(command: UpdateUser, state: UsersState): UserEvent[] {
  const v = new Validator();
  if (command.roles !== undefined) validRoles(command.roles, v);
  v.check(command.active === undefined || typeof command.active === 'boolean', 'active', 'must be true or false')
    .check(command.locked === undefined || command.locked === false, 'locked', 'can only be set to false (unlock); accounts are locked by failed sign-ins')
    .check(
      command.roles !== undefined || command.active !== undefined || command.locked !== undefined,
      'body',
      'must give at least one of roles, active, locked',
    )
    .throwIfInvalid();
  const account = state.byId.get(command.userId);
  if (!account) throw new DomainError('not-found', 'No such user');
  const roles = command.roles === undefined ? undefined : [...new Set(command.roles as Role[])];
  if (command.userId === command.actorId) {
    if (roles && account.roles.includes('admin') && !roles.includes('admin')) {
      throw new DomainError('conflict', 'An administrator cannot remove their own admin role; another administrator can');
    }
    if (command.active === false) throw new DomainError('conflict', 'An administrator cannot deactivate themself; another administrator can');
  }
  const events: UserEvent[] = [];
  if (roles && !sameRoles(roles, account.roles)) {
    events.push({
      type: 'UserRolesChanged',
      data: { userId: account.userId, roles, previousRoles: account.roles, changedBy: command.actor, changedAt: command.at },
    });
  }
  if (command.active === false && account.active) {
    events.push({ type: 'UserDeactivated', data: { userId: account.userId, deactivatedBy: command.actor, deactivatedAt: command.at } });
  }
  if (command.active === true && !account.active) {
    events.push({ type: 'UserReactivated', data: { userId: account.userId, reactivatedBy: command.actor, reactivatedAt: command.at } });
  }
  if (command.locked === false && account.locked) {
    events.push({ type: 'UserUnlocked', data: { userId: account.userId, unlockedBy: command.actor, unlockedAt: command.at } });
  }
  return events;
}

/** After repeated failed sign-ins (the sign-in service counts them); a locked or unknown account stays as it is. */
function decideLock(command: LockUser, state: UsersState): UserEvent[] {
  const account = state.byId.get(command.userId);
  if (!account || account.locked) return [];
  return [{ type: 'UserLocked', data: { userId: command.userId, failures: command.failures, lockedAt: command.at } }];
}

function sameRoles(a: readonly Role[], b: readonly Role[]): boolean {
  return a.length === b.length && a.every((r) => b.includes(r));
}

function updateAccount(state: UsersState, userId: string, change: Partial<Pick<UserAccount, 'roles' | 'active' | 'locked'>>): UsersState {
  const account = state.byId.get(userId);
  return account ? withAccount(state, { ...account, ...change }) : state;
}

function withAccount(state: UsersState, account: UserAccount): UsersState {
  const byUsername = new Map(state.byUsername);
  const byId = new Map(state.byId);
  byUsername.set(account.username, account);
  byId.set(account.userId, account);
  return { byUsername, byId };
}
