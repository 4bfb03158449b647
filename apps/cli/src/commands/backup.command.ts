import { Command } from 'commander';
import { resolve } from 'node:path';
import { loadConfig } from '@medrec/platform/config/app-config';
import type { CliIo } from '../cli-io';
import { CLI_ACTOR_ID, operatorName } from '../cli-context';
import { BackupOptions, BackupResult, takeBackup } from '../backup/take-backup';
import { restoreBackup, RestoreResult } from '../backup/restore-backup';
import { LedgerApplication, reapplyLedger } from '../backup/reapply-ledger';
import { withDataStores } from '../data-stores';
import { DestructionLedger } from '@medrec/platform/stores/destruction-ledger';
import { randomUUID } from 'node:crypto';

/** `backup <dir>`: an online backup of the embedded deployment (take-backup.ts). Prints ids and counts only. */
export async function backup(io: CliIo, dir: string, options: Omit<BackupOptions, 'onStep'> = {}): Promise<BackupResult> {
  const config = loadConfig(io.env);
  const result = await takeBackup(config, resolve(dir), options);
  for (const warning of result.warnings) io.stderr.write(`warning: ${warning}\n`);
  const bytes = result.manifest.files.reduce((sum, f) => sum + f.size, 0);
  io.stdout.write(
    `Backed up ${result.manifest.eventStore.events} events (head position ${result.manifest.eventStore.headPosition}), ` +
      `${result.manifest.files.length} files, ${(bytes / 1e6).toFixed(1)} MB into ${resolve(dir)}\n` +
      `manifest.json SHA-256 ${result.manifestSha256} (keep it apart from the backup to prove it unaltered)\n`,
  );
  return result;
}

export interface RestoreCommandOptions {
  force?: boolean;
  masterKeyFile?: string;
  manifestSha256?: string;
}

/** `restore <dir>`: restores a backup into the configured data directory (restore-backup.ts); the server must be stopped. */
export async function restore(io: CliIo, dir: string, options: RestoreCommandOptions = {}): Promise<RestoreResult> {
  const config = loadConfig(io.env);
  const result = await restoreBackup(config, resolve(dir), {
    ...options,
    actor: { userId: CLI_ACTOR_ID, username: `cli:${operatorName(io.env)}`, role: 'admin' },
    progress: (line) => io.stderr.write(`${line}\n`),
  });
  if (result.invalidLedgerLines.length > 0) {
    io.stderr.write(
      `warning: destruction ledger lines ${result.invalidLedgerLines.join(', ')} are not valid entries and were not applied: check ${config.destructionLedger}\n`,
    );
  }
  for (const batchId of result.batchesAfterBackup) {
    io.stderr.write(
      `warning: disposal batch ${batchId} destroyed records after the backup; its events and certificate are not in it (keep the certificate issued then)\n`,
    );
  }
  io.stdout.write(
    `Restored ${result.files} files (backup of ${result.manifest.createdAt}, head position ${result.manifest.eventStore.headPosition}) into ${config.dataDir}; ` +
      `destruction ledger: ${result.redestroyed.length} record(s) destroyed again, ${result.absent.length} not in the backup; ` +
      `read models rebuilt (${result.events} events). Run medrec verify, then start the server.\n`,
  );
  for (const recordId of result.redestroyed) io.stdout.write(`destroyed again: ${recordId}\n`);
  return result;
}

export function backupCommand(io: CliIo): Command {
  return new Command('backup')
    .description(
      'online backup of the embedded deployment (events, keys, blobs, secrets, manifest of SHA-256s) into a new or empty directory; safe while the server runs',
    )
    .argument('<dir>', 'the backup directory (absent or empty)')
    .option('--include-master-key', 'master.key is in the data directory: put it in the backup (the backup then opens every record)')
    .option('--exclude-master-key', 'master.key is in the data directory: leave it out (keep a copy of it apart from the backups)')
    .action(async (dir: string, options: { includeMasterKey?: boolean; excludeMasterKey?: boolean }) => {
      await backup(io, dir, options);
    });
}

export function restoreCommand(io: CliIo): Command {
  return new Command('restore')
    .description(
      'restore a backup into MEDREC_DATA_DIR (server stopped): checks every SHA-256 first, re-applies the destruction ledger, rebuilds the read models',
    )
    .argument('<dir>', 'the backup directory')
    .option('--force', 'replace a data directory that is not empty (everything in it is removed)')
    .option('--master-key-file <file>', 'the master key, when the backup has none and MEDREC_MASTER_KEY is not set')
    .option('--manifest-sha256 <hex>', "the manifest's SHA-256 that backup printed: refuse a backup whose manifest differs")
    .action(async (dir: string, options: RestoreCommandOptions) => {
      await restore(io, dir, options);
    });
}

/**
 * `destruction-ledger apply`: re-applies the destruction ledger to the configured stores, whatever
 * they are (the last step of restoring EventStoreDB and MinIO from their own backups). Idempotent.
 */
export async function applyLedger(io: CliIo): Promise<LedgerApplication> {
  const config = loadConfig(io.env);
  const { entries, invalidLines } = new DestructionLedger(config.destructionLedger).read();
  const applied = await withDataStores(io.env, (stores) =>
    reapplyLedger(stores, entries, { actor: cliActor(io), correlationId: randomUUID(), at: new Date().toISOString() }),
  );
  const result = { ...applied, invalidLedgerLines: invalidLines };
  warnAboutLedger(io, result, config.destructionLedger);
  io.stdout.write(
    `Destruction ledger ${config.destructionLedger}: ${entries.length} entries; ${result.redestroyed.length} record(s) destroyed again, ` +
      `${result.absent.length} not in the store (their key ids marked destroyed)\n`,
  );
  for (const recordId of result.redestroyed) io.stdout.write(`destroyed again: ${recordId}\n`);
  return result;
}

export function destructionLedgerCommand(io: CliIo): Command {
  const command = new Command('destruction-ledger').description(
    'the ledger of destroyed records (MEDREC_DESTRUCTION_LEDGER), kept apart from the data and its backups',
  );
  command
    .command('apply')
    .description('destroy again every record of the ledger still alive in the stores (after restoring them from a backup); idempotent')
    .action(async () => {
      await applyLedger(io);
    });
  return command;
}

function cliActor(io: CliIo) {
  return { userId: CLI_ACTOR_ID, username: `cli:${operatorName(io.env)}`, role: 'admin' as const };
}

function warnAboutLedger(io: CliIo, result: LedgerApplication, file: string): void {
  if (result.invalidLedgerLines.length > 0) {
    io.stderr.write(`warning: destruction ledger lines ${result.invalidLedgerLines.join(', ')} are not valid entries and were not applied: check ${file}\n`);
  }
  for (const batchId of result.batchesAfterBackup) {
    io.stderr.write(
      `warning: disposal batch ${batchId} destroyed records after the backup; its events and certificate are not in it (keep the certificate issued then)\n`,
    );
  }
}
