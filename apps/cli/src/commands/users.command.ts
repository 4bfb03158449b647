import { Command, Option } from 'commander';
import { isRole, Role, ROLES, USERNAME_PATTERN } from '@medrec/domain';
import { withCliContext } from '../cli-context';
import { CliError } from '../cli-error';
import type { CliIo } from '../cli-io';
import { DEPRECATED_PASSWORD_ENV, PASSWORD_ENV, readNewPassword } from '../read-password';

export interface UsersAddOptions {
  /** As given: each entry one role or a comma-separated list. */
  role: string[];
  passwordStdin?: boolean;
}

export interface UserSummary {
  userId: string;
  username: string;
  roles: Role[];
  active?: boolean;
  locked?: boolean;
}

/** `users add <username> --role <role>...`: appends UserCreated to the users stream as `cli:<os user>`. */
export async function usersAdd(io: CliIo, username: string, options: UsersAddOptions): Promise<UserSummary> {
  const roles = parseRoles(options.role);
  const name = username.toLowerCase();
  if (!USERNAME_PATTERN.test(name)) {
    throw CliError.usage(`Invalid username "${username}": 2-64 characters, a letter first, then letters, digits, . _ -`);
  }
  return withCliContext(io.env, async (context) => {
    // Checked before asking for a password; the directory checks again when appending.
    if (await context.users.find(name)) throw duplicate(name);
    const password = await readNewPassword(io, { fromStdin: options.passwordStdin === true, username: name });
    const account = await context.users.create({ username: name, password, roles }, context.commandContext());
    io.stdout.write(`Created user ${account.username} (${account.roles.join(', ')})\n`);
    return { userId: account.userId, username: account.username, roles: account.roles };
  });
}

/** `users list`: every account with its roles, by username. */
export async function usersList(io: CliIo, options: { json?: boolean } = {}): Promise<UserSummary[]> {
  const users = await withCliContext(io.env, async (context) => {
    const accounts = await context.users.list();
    return accounts.map(({ userId, username, roles, active, locked }) => ({ userId, username, roles, active, locked }));
  });
  if (options.json) {
    io.stdout.write(JSON.stringify(users) + '\n');
  } else if (users.length === 0) {
    io.stdout.write('No users.\n');
  } else {
    const width = Math.max('USERNAME'.length, ...users.map((u) => u.username.length));
    io.stdout.write(`${'USERNAME'.padEnd(width)}  ROLES\n`);
    for (const user of users) {
      const state = [user.active === false ? 'inactive' : '', user.locked ? 'locked' : ''].filter(Boolean);
      io.stdout.write(`${user.username.padEnd(width)}  ${user.roles.join(',')}${state.length ? `  (${state.join(', ')})` : ''}\n`);
    }
  }
  return users;
}

/** `users set-roles <username> --role <role>...`: replaces the user's roles (UserRolesChanged), effective on their next request. */
export async function usersSetRoles(io: CliIo, username: string, options: { role: string[] }): Promise<UserSummary> {
  const roles = parseRoles(options.role);
  return withCliContext(io.env, async (context) => {
    const account = await context.users.find(username);
    if (!account) throw new CliError(`No user named "${username.toLowerCase()}"`);
    const updated = await context.users.update(account.userId, { roles }, context.commandContext());
    io.stdout.write(`Roles of ${updated.username}: ${updated.roles.join(', ')}\n`);
    return { userId: updated.userId, username: updated.username, roles: updated.roles };
  });
}

/** `users unlock <username>`: lifts a lock-out after failed sign-ins (UserUnlocked); nothing if it is not locked. */
export async function usersUnlock(io: CliIo, username: string): Promise<void> {
  await withCliContext(io.env, async (context) => {
    const account = await context.users.find(username);
    if (!account) throw new CliError(`No user named "${username.toLowerCase()}"`);
    if (!account.locked) {
      io.stdout.write(`${account.username} is not locked\n`);
      return;
    }
    await context.users.update(account.userId, { locked: false }, context.commandContext());
    io.stdout.write(`Unlocked ${account.username}\n`);
  });
}

/** Roles from repeated and/or comma-separated values, de-duplicated; an unknown one lists the valid ones. */
export function parseRoles(values: readonly string[]): Role[] {
  const names = values
    .flatMap((value) => value.split(','))
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '');
  if (names.length === 0) throw CliError.usage(`At least one --role is required. Valid roles: ${ROLES.join(', ')}`);
  const unknown = names.filter((name) => !isRole(name));
  if (unknown.length > 0) {
    throw CliError.usage(`Unknown role${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}. Valid roles: ${ROLES.join(', ')}`);
  }
  return [...new Set(names as Role[])];
}

function duplicate(username: string): CliError {
  return new CliError(`A user named "${username}" already exists`);
}

export function usersCommand(io: CliIo): Command {
  const users = new Command('users').description('manage the accounts that can sign in');

  users
    .command('add')
    .description('create a user')
    .argument('<username>', '2-64 characters: a letter, then letters, digits, . _ -')
    .addOption(
      new Option('-r, --role <role>', `role to grant, repeatable or comma-separated (${ROLES.join(', ')})`)
        .argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value])
        .makeOptionMandatory(),
    )
    .option('--password-stdin', 'read the password from the first line of standard input')
    .addHelpText(
      'after',
      `\nThe password is never taken as an argument. It comes from --password-stdin, else from\n${PASSWORD_ENV} (formerly ${DEPRECATED_PASSWORD_ENV}, still read with a warning), else (on a\nterminal) from a prompt that does not echo.`,
    )
    .action((username: string, options: UsersAddOptions) => usersAdd(io, username, options).then(() => undefined));

  users
    .command('set-roles')
    .description("replace a user's roles (effective on their next request)")
    .argument('<username>')
    .addOption(
      new Option('-r, --role <role>', `role to grant, repeatable or comma-separated (${ROLES.join(', ')})`)
        .argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value])
        .makeOptionMandatory(),
    )
    .action((username: string, options: { role: string[] }) => usersSetRoles(io, username, options).then(() => undefined));

  users
    .command('unlock')
    .description('unlock an account locked after repeated failed sign-ins')
    .argument('<username>')
    .action((username: string) => usersUnlock(io, username));

  users
    .command('list')
    .description('list users and their roles')
    .option('--json', 'print JSON')
    .action((options: { json?: boolean }) => usersList(io, options).then(() => undefined));

  return users;
}
