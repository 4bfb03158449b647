import { Presets, SingleBar } from 'cli-progress';
import { Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { PURPOSES_OF_USE } from '@medrec/domain';
import { CliError } from '../../cli-error';
import type { CliIo } from '../../cli-io';
import type { MedrecClient } from '../ingest/medrec-client';
import { connect, ConnectionOptions, ConnectionTuning, dayOption, documentTypeOption, expectSuccess, formatTable, withConnectionOptions } from './connection';

/**
 * `disposal propose|approve|execute|show|certificate`: the disposal workflow of API.md
 * ("Workflows (archivists)") over HTTP. Batches and certificates name MRNs and matters, so their
 * reads declare a purpose of use (`--purpose`, default operations).
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DEFAULT_PURPOSE = 'operations';

export interface Exclusion {
  recordId: string;
  reason: string;
  matter?: string;
  retentionUntil?: string;
}

export interface ProposeOptions extends ConnectionOptions {
  asOf?: string;
  authority?: string;
  documentType?: string;
  record?: string[];
  dryRun?: boolean;
}

export interface ReadOptions extends ConnectionOptions {
  purpose?: string;
}

export interface CertificateOptions extends ReadOptions {
  pdf?: string;
}

function batchId(value: string): string {
  if (!UUID.test(value)) throw CliError.usage('<id> must be the id of a disposal batch (a UUID)');
  return value;
}

function purposeHeader(options: ReadOptions): Record<string, string> {
  const purpose = options.purpose ?? DEFAULT_PURPOSE;
  if (!(PURPOSES_OF_USE as readonly string[]).includes(purpose)) throw CliError.usage(`--purpose must be one of ${PURPOSES_OF_USE.join(', ')}`);
  return { 'x-purpose-of-use': purpose };
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function exclusionReason(e: Exclusion): string {
  return [e.reason, e.matter ? `matter ${e.matter}` : '', e.retentionUntil ? `retention until ${e.retentionUntil}` : ''].filter(Boolean).join(', ');
}

function formatDecisions(included: string[], excluded: Exclusion[]): string {
  const rows = [...included.map((id) => [id, 'included', '']), ...excluded.map((e) => [e.recordId, 'excluded', exclusionReason(e)])];
  return rows.length > 0 ? formatTable(['RECORD', 'DECISION', 'REASON'], rows) : '';
}

export async function disposalPropose(io: CliIo, options: ProposeOptions, tuning: ConnectionTuning = {}): Promise<unknown> {
  const asOf = dayOption(options.asOf, '--as-of');
  const authority = options.authority?.trim();
  if (!authority) throw CliError.usage('--authority <text> is required: the retention authority the records are destroyed under');
  const documentType = documentTypeOption(options.documentType);
  const recordIds = options.record ?? [];
  for (const id of recordIds) if (!UUID.test(id)) throw CliError.usage('--record must be a record id (a UUID)');
  const client = await connect(io, options, tuning);
  const body = { asOf, authority, ...(documentType ? { documentType } : {}), ...(recordIds.length > 0 ? { recordIds } : {}) };
  const result: { id?: string; included: string[]; excluded: Exclusion[] } = expectSuccess(
    await client.call('POST', `/api/disposal/batches${options.dryRun ? '?dryRun=true' : ''}`, { json: body, idempotent: options.dryRun === true }),
    'propose a disposal batch',
  );
  if (options.json) {
    io.stdout.write(JSON.stringify(result) + '\n');
  } else {
    io.stdout.write(formatDecisions(result.included, result.excluded));
    const counts = `${plural(result.included.length, 'record')} included, ${result.excluded.length} excluded`;
    io.stdout.write(
      options.dryRun || !result.id
        ? `Dry run: ${counts}; nothing was proposed\n`
        : `Disposal batch ${result.id}: ${counts}\nNext: another archivist or HIM user approves it (medrec disposal approve ${result.id})\n`,
    );
  }
  return result;
}

export async function disposalApprove(io: CliIo, id: string, options: ConnectionOptions, tuning: ConnectionTuning = {}): Promise<unknown> {
  batchId(id);
  const client = await connect(io, options, tuning);
  const result: { id: string; status: string; approvedBy: string; approvedAt: string } = expectSuccess(
    await client.call('POST', `/api/disposal/batches/${id}/approve`, { idempotent: true }),
    'approve the disposal batch',
  );
  io.stdout.write(options.json ? JSON.stringify(result) + '\n' : `Disposal batch ${id} approved by ${result.approvedBy} at ${result.approvedAt}\n`);
  return result;
}

interface BatchView {
  id: string;
  status: string;
  asOf: string;
  authority: string;
  documentType?: string;
  included: string[];
  excluded: Exclusion[];
  proposedBy: string;
  proposedAt: string;
  approvedBy: string | null;
  approvedAt: string | null;
  destroyed?: string[];
  skipped?: Array<{ recordId: string; reason: string }>;
  executedBy?: string | null;
  executedAt?: string | null;
  certificateId?: string | null;
}

/** Executes the batch; while the server works, the batch is polled for a progress bar (on a terminal). */
export async function disposalExecute(io: CliIo, id: string, options: ReadOptions, tuning: ConnectionTuning & { pollMs?: number } = {}): Promise<unknown> {
  batchId(id);
  const headers = purposeHeader(options);
  const client = await connect(io, options, tuning);
  const progress = await startProgress(io, client, id, headers, tuning.pollMs ?? 1000);
  let result: { destroyed: string[]; skipped: Array<{ recordId: string; reason: string }>; certificateId: string };
  try {
    result = expectSuccess(await client.call('POST', `/api/disposal/batches/${id}/execute`, { idempotent: true }), 'execute the disposal batch');
  } finally {
    await progress.stop();
  }
  if (options.json) {
    io.stdout.write(JSON.stringify(result) + '\n');
  } else {
    const rows = [...result.destroyed.map((r) => [r, 'destroyed', '']), ...result.skipped.map((s) => [s.recordId, 'skipped', s.reason])];
    if (rows.length > 0) io.stdout.write(formatTable(['RECORD', 'RESULT', 'REASON'], rows));
    io.stdout.write(
      `Disposal batch ${id}: ${plural(result.destroyed.length, 'record')} destroyed, ${result.skipped.length} skipped; certificate ${result.certificateId}\n`,
    );
  }
  return result;
}

/** A bar of destroyed + skipped over included, from GET /api/disposal/batches/:id every `pollMs`; nothing when stderr is not a terminal or the batch cannot be read. */
async function startProgress(io: CliIo, client: MedrecClient, id: string, headers: Record<string, string>, pollMs: number): Promise<{ stop(): Promise<void> }> {
  const stream = io.stderr as CliIo['stderr'] & { isTTY?: boolean };
  const none = { stop: async () => undefined };
  if (!stream.isTTY) return none;
  const read = async (): Promise<BatchView | undefined> => {
    const res = await client.call('GET', `/api/disposal/batches/${id}`, { headers }).catch(() => undefined);
    return res?.status === 200 ? (res.body as BatchView) : undefined;
  };
  const first = await read();
  if (!first) return none;
  const bar = new SingleBar({ stream, format: 'destroying |{bar}| {value}/{total} records | {duration_formatted}', hideCursor: true }, Presets.shades_classic);
  bar.start(first.included.length, (first.destroyed?.length ?? 0) + (first.skipped?.length ?? 0));
  let polling: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    polling = polling.then(async () => {
      const batch = await read();
      if (batch) bar.update((batch.destroyed?.length ?? 0) + (batch.skipped?.length ?? 0));
    });
  }, pollMs);
  return {
    async stop() {
      clearInterval(timer);
      await polling;
      const batch = await read();
      if (batch) bar.update((batch.destroyed?.length ?? 0) + (batch.skipped?.length ?? 0));
      bar.stop();
    },
  };
}

export async function disposalShow(io: CliIo, id: string, options: ReadOptions, tuning: ConnectionTuning = {}): Promise<BatchView> {
  batchId(id);
  const headers = purposeHeader(options);
  const client = await connect(io, options, tuning);
  const batch: BatchView = expectSuccess(await client.call('GET', `/api/disposal/batches/${id}`, { headers }), 'read the disposal batch');
  if (options.json) {
    io.stdout.write(JSON.stringify(batch) + '\n');
    return batch;
  }
  const lines: Array<[string, string | null | undefined]> = [
    ['batch', batch.id],
    ['status', batch.status],
    ['as of', batch.asOf],
    ['authority', batch.authority],
    ['document type', batch.documentType ?? 'all'],
    ['proposed', `${batch.proposedBy} at ${batch.proposedAt}`],
    ['approved', batch.approvedBy ? `${batch.approvedBy} at ${batch.approvedAt}` : 'not yet'],
    ['executed', batch.executedBy ? `${batch.executedBy} at ${batch.executedAt}` : 'not yet'],
    ['certificate', batch.certificateId ?? 'none yet'],
  ];
  for (const [name, value] of lines) io.stdout.write(`${`${name}:`.padEnd(15)}${value ?? ''}\n`);
  io.stdout.write('\n' + formatDecisions(batch.included, batch.excluded));
  const destroyed = new Set(batch.destroyed ?? []);
  if (destroyed.size > 0 || (batch.skipped ?? []).length > 0) {
    io.stdout.write(`${plural(destroyed.size, 'record')} destroyed, ${(batch.skipped ?? []).length} skipped\n`);
  }
  return batch;
}

interface Certificate {
  id: string;
  batchId: string;
  issuedAt: string;
  facility: string;
  records: Array<{ recordId: string; documentType: string; mrn: string; from: string; to: string }>;
  count: number;
  authority: string;
  method: string;
  performedBy: string;
  approvedBy: string;
  statement: string;
}

/** The certificate as JSON or a table; with `--pdf <file>`, the PDF the server makes, written to the file. */
export async function disposalCertificate(io: CliIo, id: string, options: CertificateOptions, tuning: ConnectionTuning = {}): Promise<void> {
  if (!UUID.test(id)) throw CliError.usage('<id> must be the id of a certificate of destruction (a UUID)');
  const headers = purposeHeader(options);
  const client = await connect(io, options, tuning);
  if (options.pdf !== undefined) {
    const res = await client.call('GET', `/api/disposal/certificates/${id}`, { headers, accept: 'application/pdf' });
    const pdf = expectSuccess<unknown>(res, 'read the certificate');
    if (!Buffer.isBuffer(pdf) || !res.contentType.startsWith('application/pdf')) throw new CliError('The server did not answer with a PDF');
    const file = resolve(options.pdf);
    await writeFile(file, pdf, { mode: 0o600 });
    io.stdout.write(
      options.json ? JSON.stringify({ id, pdf: file, bytes: pdf.length }) + '\n' : `Certificate ${id} written to ${file} (${pdf.length} bytes)\n`,
    );
    return;
  }
  const certificate: Certificate = expectSuccess(await client.call('GET', `/api/disposal/certificates/${id}`, { headers }), 'read the certificate');
  if (options.json) {
    io.stdout.write(JSON.stringify(certificate) + '\n');
    return;
  }
  io.stdout.write(
    `Certificate of destruction ${certificate.id} (batch ${certificate.batchId})\n${certificate.facility}, issued ${certificate.issuedAt}\n` +
      `Authority: ${certificate.authority}\nMethod: ${certificate.method}\nPerformed by ${certificate.performedBy}, approved by ${certificate.approvedBy}\n\n`,
  );
  io.stdout.write(
    formatTable(
      ['RECORD', 'MRN', 'TYPE', 'FROM', 'TO'],
      certificate.records.map((r) => [r.recordId, r.mrn, r.documentType, r.from ?? '', r.to ?? '']),
    ),
  );
  io.stdout.write(`${plural(certificate.count, 'record')}. ${certificate.statement}\n`);
}

export function disposalCommand(io: CliIo): Command {
  const roles = 'archivist; approve: archivist or him';
  const purpose = (command: Command) =>
    command.option('--purpose <purpose>', `purpose of use declared on reads (${PURPOSES_OF_USE.join(', ')})`, DEFAULT_PURPOSE);
  const collect = (value: string, previous: string[] = []) => [...previous, value];
  const propose = withConnectionOptions(
    new Command('propose')
      .description('propose a disposal batch of the records due as of a day (POST /api/disposal/batches)')
      .requiredOption('--as-of <date>', 'YYYY-MM-DD: records whose retention has ended on or before this day')
      .requiredOption('--authority <text>', 'the retention authority the records are destroyed under')
      .option('-t, --document-type <type>', 'only this document type')
      .option('--record <id>', 'consider only this record (repeatable); without it, every record due', collect)
      .option('--dry-run', 'show what would be included and excluded, creating nothing'),
    roles,
  ).action(async (options: ProposeOptions) => {
    await disposalPropose(io, options);
  });
  const approve = withConnectionOptions(
    new Command('approve').description('approve a proposed batch (a different person from the proposer)').argument('<id>', 'disposal batch id'),
    roles,
  ).action(async (id: string, options: ConnectionOptions) => {
    await disposalApprove(io, id, options);
  });
  const execute = withConnectionOptions(
    purpose(
      new Command('execute').description('destroy the approved batch’s records that are still not held; resumable').argument('<id>', 'disposal batch id'),
    ),
    roles,
  ).action(async (id: string, options: ReadOptions) => {
    await disposalExecute(io, id, options);
  });
  const show = withConnectionOptions(purpose(new Command('show').description('show a disposal batch').argument('<id>', 'disposal batch id')), roles).action(
    async (id: string, options: ReadOptions) => {
      await disposalShow(io, id, options);
    },
  );
  const certificate = withConnectionOptions(
    purpose(
      new Command('certificate')
        .description('show a certificate of destruction, or save it as PDF')
        .argument('<id>', 'certificate id')
        .option('--pdf <file>', 'write the PDF the server makes to this file'),
    ),
    'archivist, auditor or legal role',
  ).action(async (id: string, options: CertificateOptions) => {
    await disposalCertificate(io, id, options);
  });
  return new Command('disposal')
    .description('disposal batches with two-person approval and certificates of destruction, through the HTTP API')
    .addCommand(propose)
    .addCommand(approve)
    .addCommand(execute)
    .addCommand(show)
    .addCommand(certificate);
}
