import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CommandContext } from '@medrec/application';
import { MASTER_KEY_FILE, makePrivateDirSync, parseKey, writePrivateFileSync } from '@medrec/crypto';
import { Actor } from '@medrec/domain';
import { ProjectionRunner } from '@medrec/read-models';
import { AppConfig } from '@medrec/platform/config/app-config';
import { DestructionLedger } from '@medrec/platform/stores/destruction-ledger';
import { openStores, Stores } from '@medrec/platform/stores/open-stores';
import { PROJECTIONS, READ_MODELS_FILE, replayThreadFor } from '@medrec/platform/read-models/projections';
import { CliError, EXIT_FAILURE } from '../cli-error';
import { LedgerApplication, reapplyLedger } from './reapply-ledger';
import { BackupManifest, readManifest, sha256OfFile } from './backup-manifest';
import { copyPrivate, requireEmbedded } from './take-backup';

export interface RestoreOptions {
  /** Replace a data directory that is not empty (everything in it is removed first). */
  force?: boolean;
  /** The master key, when neither the backup, MEDREC_MASTER_KEY nor the data directory has it. */
  masterKeyFile?: string;
  /** Who runs the restore: the actor of the destructions it re-appends. */
  actor: Actor;
  progress?: (line: string) => void;
}

export interface RestoreResult extends LedgerApplication {
  manifest: BackupManifest;
  files: number;
  events: number;
  correlationId: string;
}

/**
 * Restores a backup of takeBackup into the configured data directory (the server stopped):
 *
 * 1. Every file's size and SHA-256 is checked against the manifest first: one mismatch and nothing is written.
 * 2. The data directory must be empty (or `force`: emptied), then the files are copied.
 * 3. The destruction ledger is re-applied: each record destroyed after the backup was taken gets its
 *    tombstone (RecordDestroyed, as the ledger has it) appended again, its key destroyed and its blobs deleted.
 * 4. The read models are rebuilt from the restored events.
 */
export async function restoreBackup(config: AppConfig, backupDir: string, options: RestoreOptions): Promise<RestoreResult> {
  requireEmbedded(config);
  const progress = options.progress ?? (() => undefined);
  const manifest = readManifest(backupDir);
  const bad: string[] = [];
  for (const file of manifest.files) {
    const path = join(backupDir, file.path);
    if (!existsSync(path)) bad.push(`${file.path} is missing`);
    else if (statSync(path).size !== file.size) bad.push(`${file.path} has ${statSync(path).size} bytes, the manifest says ${file.size}`);
    else if ((await sha256OfFile(path)) !== file.sha256) bad.push(`${file.path} does not match its SHA-256`);
  }
  if (bad.length > 0) {
    throw new CliError(
      `The backup is damaged or was altered; nothing was restored:\n - ${bad.slice(0, 20).join('\n - ')}${bad.length > 20 ? `\n - … ${bad.length - 20} more` : ''}`,
      EXIT_FAILURE,
    );
  }
  progress(`backup checked: ${manifest.files.length} files match the manifest`);

  const dataDir = config.dataDir;
  const masterKeyListed = manifest.files.some((f) => f.path === MASTER_KEY_FILE);
  const keptMasterKey = existsSync(join(dataDir, MASTER_KEY_FILE)) ? readFileSync(join(dataDir, MASTER_KEY_FILE), 'utf8') : undefined;
  const suppliedMasterKey = options.masterKeyFile ? readMasterKeyFile(options.masterKeyFile) : undefined;
  if (!masterKeyListed && !config.masterKey && !suppliedMasterKey && !keptMasterKey) {
    throw CliError.usage('The backup holds no master key: set MEDREC_MASTER_KEY or pass --master-key-file <file> (the key of the deployment backed up)');
  }
  if (existsSync(dataDir) && readdirSync(dataDir).length > 0) {
    if (!options.force)
      throw CliError.usage(`The data directory ${dataDir} is not empty: stop the server, and restore into an empty one or pass --force to replace it`);
    for (const name of readdirSync(dataDir)) rmSync(join(dataDir, name), { recursive: true, force: true });
  }
  makePrivateDirSync(dataDir);
  for (const file of manifest.files) await copyPrivate(join(backupDir, file.path), join(dataDir, file.path));
  // A master key the backup lacks: the one given, else the one the data directory had (kept across --force).
  const masterKey = masterKeyListed || config.masterKey ? undefined : (suppliedMasterKey ?? keptMasterKey);
  if (masterKey) writePrivateFileSync(join(dataDir, MASTER_KEY_FILE), masterKey.trim() + '\n');
  progress(`copied ${manifest.files.length} files into ${dataDir}`);

  const stores = await openStores(config);
  try {
    const correlationId = randomUUID();
    const context: CommandContext = { actor: options.actor, correlationId, at: new Date().toISOString() };
    const ledger = new DestructionLedger(config.destructionLedger).read();
    const applied = await reapplyLedger(stores, ledger.entries, context);
    progress(`destruction ledger re-applied: ${ledger.entries.length} entries, ${applied.redestroyed.length} record(s) destroyed again`);
    const events = await rebuildReadModels(stores, config);
    progress(`read models rebuilt from ${events} events`);
    return { manifest, files: manifest.files.length, ...applied, invalidLedgerLines: ledger.invalidLines, events, correlationId };
  } finally {
    await stores.close();
  }
}

/** The restore writes no read model: they are rebuilt from the events, so they agree with them (the backup holds none). */
async function rebuildReadModels(stores: Stores, config: AppConfig): Promise<number> {
  const runner = new ProjectionRunner(stores.events, stores.codec, [...PROJECTIONS], {
    filename: join(config.dataDir, READ_MODELS_FILE),
    batchSize: 2000,
    replayThread: replayThreadFor('PROJECTIONS'),
  });
  try {
    await runner.rebuild();
    return stores.events.headPosition();
  } finally {
    runner.close();
  }
}

function readMasterKeyFile(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw CliError.usage(`Cannot read the master key file ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (!parseKey(text.trim())) throw CliError.usage(`${file} does not hold a master key (32 bytes as base64 or hex)`);
  return text;
}
