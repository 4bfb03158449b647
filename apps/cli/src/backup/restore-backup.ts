import Database from '@medrec/sqlite';
import { createHash, randomUUID } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandContext } from '@medrec/application';
import { recordBlobPrefix } from '@medrec/blob-store';
import { MASTER_KEY_FILE, makePrivateDirSync, MasterKeyError, parseKey, SqliteKeyStore, writePrivateFileSync } from '@medrec/crypto';
import { Actor } from '@medrec/domain';
import { ProjectionRunner } from '@medrec/read-models';
import { AppConfig } from '@medrec/platform/config/app-config';
import { DataDirInUseError, DataDirLock, LOCK_FILES, lockDataDir } from '@medrec/platform/stores/data-dir-lock';
import { DestructionLedger } from '@medrec/platform/stores/destruction-ledger';
import { KEYS_FILE, openStores, Stores } from '@medrec/platform/stores/open-stores';
import { PROJECTIONS, READ_MODELS_FILE, replayThreadFor } from '@medrec/platform/read-models/projections';
import { CliError, EXIT_FAILURE } from '../cli-error';
import { LedgerApplication, reapplyLedger } from './reapply-ledger';
import { BackupManifest, MANIFEST_FILE, readManifest, sha256OfFile } from './backup-manifest';
import { copyPrivate, EVENTS_FILE, requireEmbedded } from './take-backup';

export interface RestoreOptions {
  /** Replace a data directory that is not empty (everything in it is removed first). */
  force?: boolean;
  /** The master key, when neither the backup, MEDREC_MASTER_KEY nor the data directory has it. */
  masterKeyFile?: string;
  /** The SHA-256 `backup` printed for manifest.json: the manifest itself is checked against it. */
  manifestSha256?: string;
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
 * Restores a backup of takeBackup into the configured data directory (the server stopped: the
 * restore takes the directory's lock, and refuses while a server or worker holds it):
 *
 * 1. Every file's size and SHA-256 is checked against the manifest (and the manifest against the
 *    SHA-256 given), and the master key against the backup's key store: one mismatch and nothing is written.
 * 2. The data directory must be empty (or `force`: emptied), then the files are copied.
 * 3. The destruction ledger is re-applied: each record destroyed after the backup was taken gets its
 *    tombstone (RecordDestroyed, as the ledger has it) appended again, its key destroyed and its
 *    blobs deleted. A key left of a record destroyed in the backup's log is destroyed too.
 * 4. The read models are rebuilt from the restored events.
 */
export async function restoreBackup(config: AppConfig, backupDir: string, options: RestoreOptions): Promise<RestoreResult> {
  requireEmbedded(config);
  const progress = options.progress ?? (() => undefined);
  if (options.manifestSha256 !== undefined) {
    const actual = existsSync(join(backupDir, MANIFEST_FILE))
      ? createHash('sha256')
          .update(readFileSync(join(backupDir, MANIFEST_FILE)))
          .digest('hex')
      : 'none';
    if (actual !== options.manifestSha256.toLowerCase()) {
      throw new CliError(`The backup's manifest.json is not the one written (its SHA-256 is ${actual}); nothing was restored`, EXIT_FAILURE);
    }
  }
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
  const masterKeyText = config.masterKey ?? (masterKeyListed ? readFileSync(join(backupDir, MASTER_KEY_FILE), 'utf8') : (suppliedMasterKey ?? keptMasterKey));
  if (!masterKeyText) {
    throw CliError.usage('The backup holds no master key: set MEDREC_MASTER_KEY or pass --master-key-file <file> (the key of the deployment backed up)');
  }
  await checkMasterKey(join(backupDir, KEYS_FILE), masterKeyText);
  // Held from here to the end: no server or worker runs on the directory, nor starts during the restore.
  makePrivateDirSync(dataDir);
  let lock: DataDirLock;
  try {
    lock = lockDataDir(dataDir, 'restore');
  } catch (error) {
    if (error instanceof DataDirInUseError) throw new CliError(`${error.message} Nothing was restored.`, EXIT_FAILURE);
    throw error;
  }
  try {
    return await restoreInto(config, backupDir, manifest, { ...options, progress }, { masterKeyListed, keptMasterKey, suppliedMasterKey });
  } finally {
    lock.release();
  }
}

/** Restore steps 2 to 5 (see restoreBackup), with the data directory locked by this process. */
async function restoreInto(
  config: AppConfig,
  backupDir: string,
  manifest: BackupManifest,
  options: RestoreOptions & { progress: (line: string) => void },
  masterKeys: { masterKeyListed: boolean; keptMasterKey?: string; suppliedMasterKey?: string },
): Promise<RestoreResult> {
  const { dataDir } = config;
  const { progress } = options;
  const { masterKeyListed, keptMasterKey, suppliedMasterKey } = masterKeys;
  const contents = readdirSync(dataDir).filter((name) => !LOCK_FILES.includes(name));
  if (contents.length > 0) {
    if (!options.force) throw CliError.usage(`The data directory ${dataDir} is not empty: restore into an empty one or pass --force to replace it`);
    // Not the locks: unlinked, a new file could be locked by a server starting now.
    for (const name of contents) rmSync(join(dataDir, name), { recursive: true, force: true });
  }
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
    // A record destroyed just before the snapshot may have had its key copied before the key was destroyed.
    const shredded = await shredDestroyedInLog(stores, join(dataDir, EVENTS_FILE));
    if (shredded > 0) progress(`${shredded} record(s) destroyed in the backup's log had a key left: destroyed`);
    const events = await rebuildReadModels(stores, config);
    progress(`read models rebuilt from ${events} events`);
    return { manifest, files: manifest.files.length, ...applied, invalidLedgerLines: ledger.invalidLines, events, correlationId };
  } finally {
    await stores.close();
  }
}

/** Keys still present of records whose RecordDestroyed is in the log (read from the restored file): destroyed, with their blobs. */
async function shredDestroyedInLog(stores: Stores, eventsFile: string): Promise<number> {
  const db = new Database(eventsFile, { readonly: true, fileMustExist: true });
  let recordIds: string[];
  try {
    const rows = db.prepare("SELECT json_extract(data, '$.recordId') AS recordId FROM events WHERE type = 'RecordDestroyed'").all() as Array<{
      recordId: unknown;
    }>;
    recordIds = rows.map((r) => r.recordId).filter((id): id is string => typeof id === 'string');
  } finally {
    db.close();
  }
  const live: string[] = [];
  for (const recordId of new Set(recordIds)) if (!(await stores.keys.isDestroyed(recordId))) live.push(recordId);
  if (live.length === 0) return 0;
  await stores.keys.destroyAll(live);
  for (const recordId of live) await stores.blobs.deletePrefix(recordBlobPrefix(recordId));
  return live.length;
}

/** Refuses, before anything is written, a master key that does not open the backup's key store (tried on a copy of it). */
async function checkMasterKey(keysFile: string, keyText: string): Promise<void> {
  const masterKey = parseKey(keyText.trim());
  if (!masterKey) throw CliError.usage('The master key must be 32 bytes as base64 or hex');
  const dir = mkdtempSync(join(tmpdir(), 'medrec-restore-check-'));
  try {
    copyFileSync(keysFile, join(dir, KEYS_FILE));
    await new SqliteKeyStore({ file: join(dir, KEYS_FILE), masterKey }).close();
  } catch (error) {
    if (error instanceof MasterKeyError)
      throw CliError.usage(`The master key given does not open this backup's key store: ${error.message}; nothing was restored`);
    throw error;
  } finally {
    masterKey.fill(0);
    rmSync(dir, { recursive: true, force: true });
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
