import { Command } from 'commander';
import { AMENDMENT_REQUEST_STATUSES, isAmendmentRequestStatus } from '@medrec/domain';
import { CliError } from '../../cli-error';
import type { CliIo } from '../../cli-io';
import { connect, ConnectionOptions, ConnectionTuning, expectSuccess, formatTable, withConnectionOptions } from '../archivist/connection';

export interface AmendmentRequestRow {
  id: string;
  recordId: string;
  status: string;
  receivedAt: string;
  dueAt: string;
  overdue: boolean;
}

export interface AmendmentListOptions extends ConnectionOptions {
  overdue?: boolean;
  status?: string;
}

/** `amendment list [--overdue] [--status <status>]`: GET /api/amendment-requests, overdue requests first, as a table or JSON. */
export async function amendmentList(io: CliIo, options: AmendmentListOptions, tuning: ConnectionTuning = {}): Promise<AmendmentRequestRow[]> {
  if (options.status !== undefined && !isAmendmentRequestStatus(options.status)) {
    throw CliError.usage(`--status must be one of ${AMENDMENT_REQUEST_STATUSES.join(', ')}`);
  }
  const query = new URLSearchParams({ ...(options.overdue ? { overdue: 'true' } : {}), ...(options.status ? { status: options.status } : {}) }).toString();
  const client = await connect(io, options, tuning);
  const { requests }: { requests: AmendmentRequestRow[] } = expectSuccess(
    await client.call('GET', `/api/amendment-requests${query ? `?${query}` : ''}`),
    'list the amendment requests',
  );
  if (options.json) {
    io.stdout.write(JSON.stringify({ requests }) + '\n');
  } else {
    const rows = requests.map((r) => [r.id, r.recordId, r.status, r.receivedAt, r.dueAt, r.overdue ? 'OVERDUE' : '']);
    if (requests.length > 0) io.stdout.write(formatTable(['REQUEST', 'RECORD', 'STATUS', 'RECEIVED', 'DUE', ''], rows));
    const overdue = requests.filter((r) => r.overdue).length;
    io.stdout.write(
      `${requests.length} amendment request${requests.length === 1 ? '' : 's'}${options.overdue ? ' overdue' : overdue > 0 ? `, ${overdue} overdue` : ''}\n`,
    );
  }
  return requests;
}

export function amendmentCommand(io: CliIo): Command {
  const list = withConnectionOptions(
    new Command('list')
      .description('list patients’ amendment requests, overdue ones first (GET /api/amendment-requests)')
      .option('--overdue', 'only requests still unanswered after their due day (60 days after receipt)')
      .option('--status <status>', `only requests in this status (${AMENDMENT_REQUEST_STATUSES.join(', ')})`),
    'him role',
  ).action(async (options: AmendmentListOptions) => {
    await amendmentList(io, options);
  });
  return new Command('amendment').description('patients’ amendment requests (45 CFR 164.526), through the HTTP API').addCommand(list);
}
