import { Command } from 'commander';
import { resolve } from 'node:path';
import { PURPOSES_OF_USE, RELEASE_REQUEST_STATUSES } from '@medrec/domain';
import { CliError } from '../../cli-error';
import type { CliIo } from '../../cli-io';
import { connect, ConnectionOptions, ConnectionTuning, expectSuccess, formatTable, withConnectionOptions } from '../archivist/connection';

/**
 * `release list|fulfil|package`: release-of-information requests (API.md "Requests") over HTTP.
 * The package is a ZIP of the released records' content: downloading it is an audited read that
 * declares a purpose of use (`--purpose`, default patient-request).
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DEFAULT_PURPOSE = 'patient-request';

export interface ListOptions extends ConnectionOptions {
  status?: string;
  overdue?: boolean;
}

export interface PackageOptions extends ConnectionOptions {
  out?: string;
  purpose?: string;
}

interface RequestRow {
  id: string;
  mrn: string | null;
  status: string;
  receivedAt: string;
  dueAt: string;
  overdue: boolean;
}

function requestId(id: string): string {
  if (!UUID.test(id)) throw CliError.usage('<id> must be the id of a release request (a UUID)');
  return id;
}

export async function releaseList(io: CliIo, options: ListOptions, tuning: ConnectionTuning = {}): Promise<RequestRow[]> {
  if (options.status !== undefined && !RELEASE_REQUEST_STATUSES.includes(options.status as (typeof RELEASE_REQUEST_STATUSES)[number])) {
    throw CliError.usage(`--status must be one of ${RELEASE_REQUEST_STATUSES.join(', ')}`);
  }
  const query = new URLSearchParams({ ...(options.status ? { status: options.status } : {}), ...(options.overdue ? { overdue: 'true' } : {}) }).toString();
  const client = await connect(io, options, tuning);
  const { requests }: { requests: RequestRow[] } = expectSuccess(
    await client.call('GET', `/api/release-requests${query ? `?${query}` : ''}`),
    'list the release requests',
  );
  if (options.json) {
    io.stdout.write(JSON.stringify({ requests }) + '\n');
  } else if (requests.length === 0) {
    io.stdout.write('No release requests\n');
  } else {
    io.stdout.write(
      formatTable(
        ['ID', 'MRN', 'STATUS', 'RECEIVED', 'DUE', 'OVERDUE'],
        requests.map((r) => [r.id, r.mrn ?? '', r.status, r.receivedAt, r.dueAt, r.overdue ? 'OVERDUE' : '']),
      ),
    );
  }
  return requests;
}

export async function releaseFulfil(io: CliIo, id: string, options: ConnectionOptions, tuning: ConnectionTuning = {}): Promise<{ packageUrl: string }> {
  requestId(id);
  const client = await connect(io, options, tuning);
  // The server makes fulfilment idempotent (a second call answers the same package): safe to resend.
  const result: { packageUrl: string } = expectSuccess(
    await client.call('POST', `/api/release-requests/${id}/fulfil`, { idempotent: true }),
    'fulfil the release request',
  );
  io.stdout.write(
    options.json
      ? JSON.stringify(result) + '\n'
      : `Release request ${id} fulfilled: package at ${result.packageUrl}\nNext: medrec release package ${id} --out <file>\n`,
  );
  return result;
}

export async function releasePackage(io: CliIo, id: string, options: PackageOptions, tuning: ConnectionTuning = {}): Promise<{ file: string; bytes: number }> {
  requestId(id);
  if (options.out === undefined || options.out.trim() === '') throw CliError.usage('--out <file> is required');
  const purpose = options.purpose ?? DEFAULT_PURPOSE;
  if (!PURPOSES_OF_USE.includes(purpose as (typeof PURPOSES_OF_USE)[number])) throw CliError.usage(`--purpose must be one of ${PURPOSES_OF_USE.join(', ')}`);
  const file = resolve(options.out);
  const client = await connect(io, options, tuning);
  const res = await client.download(`/api/release-requests/${id}/package`, file, { headers: { 'x-purpose-of-use': purpose }, accept: 'application/zip' });
  expectSuccess(res, 'download the release package');
  const bytes = res.bytes ?? 0;
  io.stdout.write(options.json ? JSON.stringify({ id, file, bytes }) + '\n' : `Release package of ${id} written to ${file} (${bytes} bytes)\n`);
  return { file, bytes };
}

export function releaseCommand(io: CliIo): Command {
  const list = withConnectionOptions(
    new Command('list')
      .description('list release requests, open ones past their due day first (GET /api/release-requests)')
      .option('--status <status>', `only requests in this status (${RELEASE_REQUEST_STATUSES.join(', ')})`)
      .option('--overdue', 'only open requests past their due day'),
    'him, legal or auditor role',
  ).action(async (options: ListOptions) => {
    await releaseList(io, options);
  });
  const fulfil = withConnectionOptions(
    new Command('fulfil').description('build the release package and record each release (idempotent, resumable)').argument('<id>', 'release request id'),
    'him role',
  ).action(async (id: string, options: ConnectionOptions) => {
    await releaseFulfil(io, id, options);
  });
  const pkg = withConnectionOptions(
    new Command('package')
      .description('download the release package (a ZIP) of a fulfilled request')
      .argument('<id>', 'release request id')
      .option('-o, --out <file>', 'where to write the ZIP (written owner-only)')
      .option('--purpose <purpose>', `purpose of use declared on the download (${PURPOSES_OF_USE.join(', ')})`, DEFAULT_PURPOSE),
    'him role',
  ).action(async (id: string, options: PackageOptions) => {
    await releasePackage(io, id, options);
  });
  return new Command('release')
    .description('release-of-information requests (right of access) and their packages, through the HTTP API')
    .addCommand(list)
    .addCommand(fulfil)
    .addCommand(pkg);
}
