import { DomainError } from '@medrec/domain';
import { ConfigError } from '@medrec/platform/config/app-config';

export const EXIT_OK = 0;
/** Something failed while doing what was asked (store unavailable, duplicate username...). */
export const EXIT_FAILURE = 1;
/** The invocation was wrong: arguments, options, configuration or input; retrying unchanged cannot help. */
export const EXIT_USAGE = 2;

export type ExitCode = typeof EXIT_OK | typeof EXIT_FAILURE | typeof EXIT_USAGE;

/** An error the CLI reports as a plain message with a chosen exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = EXIT_FAILURE,
  ) {
    super(message);
    this.name = 'CliError';
  }

  static usage(message: string): CliError {
    return new CliError(message, EXIT_USAGE);
  }
}

/** The one mapping from errors to exit codes and user-facing lines (no stack traces, no PHI). */
export function describeError(error: unknown): { exitCode: ExitCode; lines: string[] } {
  if (error instanceof CliError) return { exitCode: error.exitCode, lines: [error.message] };
  if (error instanceof ConfigError) return { exitCode: EXIT_USAGE, lines: [error.message] };
  if (error instanceof DomainError) {
    const lines = error.errors.length > 0 ? error.errors.map((e) => `${e.field}: ${e.message}`) : [error.message];
    return { exitCode: error.kind === 'invalid' ? EXIT_USAGE : EXIT_FAILURE, lines };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { exitCode: EXIT_FAILURE, lines: [message] };
}
