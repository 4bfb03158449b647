import { Command } from 'commander';
import { withDataStores } from '../data-stores';
import { CliError, EXIT_FAILURE } from '../cli-error';
import type { CliIo } from '../cli-io';
import { verifyStore, VerificationReport } from '../integrity/store-verifier';

export interface VerifyCommandOptions {
  content?: boolean;
  json?: boolean;
}

/**
 * `verify`: walks every stream's hash chain, re-derives every certificate of destruction and
 * compares it with the SHA-256 appended when it was issued, and checks every stored content against its SHA-256.
 * Prints the first broken link of each stream; exits 1 when anything is wrong. Prints stream names
 * and record ids only (no PHI).
 */
export async function verify(io: CliIo, options: VerifyCommandOptions = {}): Promise<VerificationReport> {
  const report = await withDataStores(io.env, (stores) => verifyStore(stores, { content: options.content !== false }));
  if (options.json) {
    io.stdout.write(JSON.stringify(report) + '\n');
  } else {
    for (const broken of report.brokenChains) {
      io.stdout.write(`BROKEN ${broken.stream} at revision ${broken.revision} (position ${broken.position}): ${broken.reason}\n`);
    }
    for (const problem of report.contentProblems) {
      io.stdout.write(`BROKEN ${problem.stream}${problem.version === null ? '' : ` version ${problem.version}`} content: ${problem.reason}\n`);
    }
    for (const problem of report.certificateProblems) {
      io.stdout.write(`BROKEN ${problem.stream} certificate ${problem.certificateId || '(unknown id)'}: ${problem.reason}\n`);
    }
    io.stdout.write(
      `${report.valid ? 'OK' : 'FAILED'}: ${report.streams} streams, ${report.events} events, ${report.contentsChecked} contents checked, ` +
        `${report.certificatesChecked} certificate(s) checked; ${report.brokenChains.length} broken chain(s), ` +
        `${report.contentProblems.length} content problem(s), ${report.certificateProblems.length} certificate problem(s)\n`,
    );
  }
  if (!report.valid) throw new CliError('The history is not intact (see above)', EXIT_FAILURE);
  return report;
}

export function verifyCommand(io: CliIo): Command {
  return new Command('verify')
    .description(
      "check every stream's hash chain, every certificate of destruction's SHA-256 and every stored content's SHA-256; exit 1 when anything is broken",
    )
    .option('--no-content', 'skip reading contents back (hash chains and certificates are still checked)')
    .option('--json', 'print the report as JSON')
    .action(async (options: VerifyCommandOptions) => {
      await verify(io, options);
    });
}
