import { Command, Option } from 'commander';
import { isRole, Role, ROLES, USERNAME_PATTERN } from '@medrec/domain';
import { withCliContext } from '../cli-context';
import { CliError } from '../cli-error';
import type { CliIo } from '../cli-io';
import { PASSWORD_ENV, readPassword } from '../read-password';

export interface UsersAddOptions {
  /** As given: each entry one role or a comma-separated list. */
  role: string[];
  passwordStdin?: boolean;
}

export interface UserSummary {
  userId: string;
  username: string;
  roles: Role[];
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
    const password = await readPassword(io, { fromStdin: options.passwordStdin === true, prompt: `Password for ${name}: ` });
    const account = await context.users.create({ username: name, password, roles }, context.commandContext());
    io.stdout.write(`Created user ${account.username} (${account.roles.join(', ')})\n`);
    return { userId: account.userId, username: account.username, roles: account.roles };
  });
}

/** `users list`: every account with its roles, by username. */
export async function usersList(io: CliIo, options: { json?: boolean } = {}): Promise<UserSummary[]> {
  const users = await withCliContext(io.env, async (context) => {
    const accounts = await context.users.list();
    return accounts.map(({ userId, username, roles }) => ({ userId, username, roles }));
  });
  if (options.json) {
    io.stdout.write(JSON.stringify(users) + '\n');
  } else if (users.length === 0) {
    io.stdout.write('No users.\n');
  } else {
    const width = Math.max('USERNAME'.length, ...users.map((u) => u.username.length));
    io.stdout.write(`${'USERNAME'.padEnd(width)}  ROLES\n`);
    for (const user of users) io.stdout.write(`${user.username.padEnd(width)}  ${user.roles.join(',')}\n`);
  }
  return users;
}

/** Roles from repeated and/or comma-separated values, de-duplicated; an unknown one lists the valid ones. */
export function parseRoles(values: readonly string[]): Role[] {
  const names = values.flatMap((value) => value.split(',')).map((name) => name.trim().toLowerCase()).filter((name) => name !== '');
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
      `\nThe password is never taken as an argument. It comes from --password-stdin, else from\n${PASSWORD_ENV}, else (on a terminal) from a prompt that does not echo.`,
    )
    .action((username: string, options: UsersAddOptions) => usersAdd(io, username, options).then(() => undefined));

  users
    .command('list')
    .description('list users and their roles')
    .option('--json', 'print JSON')
    .action((options: { json?: boolean }) => usersList(io, options).then(() => undefined));

  return users;
}
