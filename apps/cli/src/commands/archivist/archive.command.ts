import { Command } from 'commander';
import { CliError } from '../../cli-error';
import type { CliIo } from '../../cli-io';
import { connect, ConnectionOptions, ConnectionTuning, dayOption, documentTypeOption, expectSuccess, withConnectionOptions } from './connection';

export interface ArchiveOptions extends ConnectionOptions {
  inactiveSince?: string;
  documentType?: string;
  reason?: string;
  /** The id of a batch to finish instead of starting one. */
  resume?: string;
}

export interface ArchiveResult {
  id: string;
  archived: string[];
  position: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `archive --inactive-since <day>`: one bulk archive batch (POST /api/archive/batches); with
 * `--resume <id>`, finishes a batch that was interrupted (POST /api/archive/batches/:id/resume).
 */
export async function archive(io: CliIo, options: ArchiveOptions, tuning: ConnectionTuning = {}): Promise<ArchiveResult> {
  let call: { path: string; json?: unknown; idempotent: boolean };
  if (options.resume !== undefined) {
    if (!UUID.test(options.resume)) throw CliError.usage('--resume must be the id of an archive batch (a UUID)');
    if (options.inactiveSince !== undefined || options.documentType !== undefined || options.reason !== undefined) {
      throw CliError.usage('--resume takes no --inactive-since, --document-type or --reason: the batch has them');
    }
    call = { path: `/api/archive/batches/${options.resume}/resume`, idempotent: true };
  } else {
    const inactiveSince = dayOption(options.inactiveSince, '--inactive-since');
    const documentType = documentTypeOption(options.documentType);
    if (options.reason !== undefined && options.reason.trim() === '') throw CliError.usage('--reason must not be blank');
    call = {
      path: '/api/archive/batches',
      json: { inactiveSince, ...(documentType ? { documentType } : {}), ...(options.reason !== undefined ? { reason: options.reason } : {}) },
      // A batch started twice archives nothing the second time, but it is a second batch: never resent blindly.
      idempotent: false,
    };
  }
  const client = await connect(io, options, tuning);
  const result: ArchiveResult = expectSuccess(
    await client.call('POST', call.path, { json: call.json, idempotent: call.idempotent }),
    options.resume ? 'resume the archive batch' : 'archive',
  );
  if (options.json) {
    io.stdout.write(JSON.stringify(result) + '\n');
  } else {
    for (const id of result.archived) io.stdout.write(`archived ${id}\n`);
    io.stdout.write(`Archive batch ${result.id}: ${result.archived.length} record${result.archived.length === 1 ? '' : 's'} archived\n`);
  }
  return result;
}

export function archiveCommand(io: CliIo): Command {
  return withConnectionOptions(
    new Command('archive')
      .description('archive every record with no amendment, release or encounter since a day (POST /api/archive/batches)')
      .option('--inactive-since <date>', 'YYYY-MM-DD: records whose last activity was before this day')
      .option('-t, --document-type <type>', 'only this document type')
      .option('--reason <text>', 'the reason each record’s archiving gives (default names the day)')
      .option('--resume <batchId>', 'finish an archive batch that was interrupted (records already archived are skipped)'),
    'archivist or him role',
  ).action(async (options: ArchiveOptions) => {
    if (options.resume === undefined && options.inactiveSince === undefined)
      throw CliError.usage('--inactive-since <date> is required (or --resume <batchId>)');
    await archive(io, options);
  });
}
