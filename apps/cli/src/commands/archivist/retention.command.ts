import { Command } from 'commander';
import type { CliIo } from '../../cli-io';
import { connect, ConnectionOptions, ConnectionTuning, dayOption, documentTypeOption, expectSuccess, formatTable, withConnectionOptions } from './connection';

export interface DueRecord {
  id: string;
  documentType: string;
  retentionUntil: string;
  rule: string;
  held: boolean;
}

/** The largest page the due list gives (GET /api/retention/due, limit). */
const PAGE = 500;

export interface RetentionDueOptions extends ConnectionOptions {
  asOf?: string;
  documentType?: string;
}

/** `retention due --as-of <day>`: every page of GET /api/retention/due, as a table or JSON. */
export async function retentionDue(io: CliIo, options: RetentionDueOptions, tuning: ConnectionTuning & { pageSize?: number } = {}): Promise<DueRecord[]> {
  const asOf = dayOption(options.asOf, '--as-of');
  const documentType = documentTypeOption(options.documentType);
  const client = await connect(io, options, tuning);
  const records: DueRecord[] = [];
  let cursor: string | null = null;
  do {
    const query = new URLSearchParams({
      asOf,
      limit: String(tuning.pageSize ?? PAGE),
      ...(documentType ? { documentType } : {}),
      ...(cursor ? { cursor } : {}),
    });
    const page: { records: DueRecord[]; nextCursor: string | null } = expectSuccess(
      await client.call('GET', `/api/retention/due?${query.toString()}`),
      'list the records due',
    );
    records.push(...page.records);
    cursor = page.nextCursor;
  } while (cursor);
  if (options.json) {
    io.stdout.write(JSON.stringify({ asOf, ...(documentType ? { documentType } : {}), records }) + '\n');
  } else {
    const rows = records.map((r) => [r.id, r.documentType, r.retentionUntil, r.held ? 'held' : '', r.rule]);
    if (records.length > 0) io.stdout.write(formatTable(['RECORD', 'TYPE', 'RETAIN UNTIL', 'HOLD', 'RULE'], rows));
    const held = records.filter((r) => r.held).length;
    io.stdout.write(`${records.length} record${records.length === 1 ? '' : 's'} due as of ${asOf}${held > 0 ? `, ${held} under legal hold` : ''}\n`);
  }
  return records;
}

export function retentionCommand(io: CliIo): Command {
  const due = withConnectionOptions(
    new Command('due')
      .description('list the records whose retention has ended as of a day (GET /api/retention/due, every page)')
      .requiredOption('--as-of <date>', 'YYYY-MM-DD')
      .option('-t, --document-type <type>', 'only this document type'),
    'archivist or him role',
  ).action(async (options: RetentionDueOptions) => {
    await retentionDue(io, options);
  });
  return new Command('retention').description('retention schedules and the due list, through the HTTP API').addCommand(due);
}
