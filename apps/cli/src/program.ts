import { Command, CommanderError } from 'commander';
import { archiveCommand } from './commands/archivist/archive.command';
import { backupCommand, destructionLedgerCommand, restoreCommand } from './commands/backup.command';
import { disposalCommand } from './commands/archivist/disposal.command';
import { retentionCommand } from './commands/archivist/retention.command';
import { ingestCommand } from './commands/ingest/ingest.command';
import { projectionsCommand } from './commands/projections.command';
import { releaseCommand } from './commands/release/release.command';
import { usersCommand } from './commands/users.command';
import { verifyCommand } from './commands/verify.command';
import { watchCommand } from './commands/watch/watch.command';
import { amendmentCommand } from './commands/him/amendment.command';
import { describeError, EXIT_OK, EXIT_USAGE, ExitCode } from './cli-error';
import type { CliIo } from './cli-io';

export function createProgram(io: CliIo): Command {
  const program = new Command('medrec')
    .description('medrec administration: runs against the stores the server is configured with (MEDREC_DATA_DIR, EVENT_STORE, ...)')
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');
  program.addCommand(usersCommand(io));
  program.addCommand(ingestCommand(io));
  program.addCommand(watchCommand(io));
  program.addCommand(retentionCommand(io));
  program.addCommand(archiveCommand(io));
  program.addCommand(disposalCommand(io));
  program.addCommand(releaseCommand(io));
  program.addCommand(amendmentCommand(io));
  program.addCommand(projectionsCommand(io));
  program.addCommand(verifyCommand(io));
  program.addCommand(backupCommand(io));
  program.addCommand(restoreCommand(io));
  program.addCommand(destructionLedgerCommand(io));
  // Subcommands inherit neither output nor exit behaviour from their parent when added this way.
  for (const command of allCommands(program)) command.copyInheritedSettings(program);
  return program;
}

/** Runs one invocation (`argv` without node and the script) and answers the process exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  const program = createProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT_OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has already printed its message (or the help/version it was asked for).
      return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    const { exitCode, lines } = describeError(error);
    for (const line of lines) io.stderr.write(`error: ${line}\n`);
    return exitCode;
  }
}

function allCommands(command: Command): Command[] {
  return command.commands.flatMap((child) => [child, ...allCommands(child)]);
}
