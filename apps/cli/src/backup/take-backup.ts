import Database from '@medrec/sqlite';
import { createHash } from 'node:crypto';
import { chmodSync, closeSync, existsSync, fsyncSync, openSync, readdirSync, statSync } from 'node:fs';
import { chmod, copyFile, open } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { makePrivateDirSync, MASTER_KEY_FILE, PRIVATE_FILE_MODE, writePrivateFileSync } from '@medrec/crypto';
import { AppConfig } from '@medrec/platform/config/app-config';
import { DestructionLedger } from '@medrec/platform/stores/destruction-ledger';
import { KEYS_FILE } from '@medrec/platform/stores/open-stores';
import { CliError } from '../cli-error';
import { BACKUP_FORMAT, BACKUP_FORMAT_VERSION, BackupFile, BackupManifest, MANIFEST_FILE, medrecVersion, sha256OfFile } from './backup-manifest';

export const EVENTS_FILE = 'events.db';
/** Where the filesystem blob store keeps archived content, under its root (ARCHIVE_PREFIX). */
const ARCHIVE_DIR = 'archive';

export interface BackupOptions {
  /** master.key is in the data directory: copy it into the backup (which then opens every record). */
  includeMasterKey?: boolean;
  /** master.key is in the data directory: leave it out (the operator keeps it apart). */
  excludeMasterKey?: boolean;
  /** Called between the steps (tests pause here to write meanwhile). */
  onStep?: (step: 'events' | 'keys' | 'blobs') => Promise<void> | void;
}

export interface BackupResult {
  manifest: BackupManifest;
  manifestSha256: string;
  warnings: string[];
}

/**
 * An online backup of an embedded deployment into `target` (absent or empty), consistent while the
 * server runs and writes. The order is what makes it consistent:
 *
 * 1. events.db: `VACUUM INTO`, one read transaction, so one snapshot; its head is the backup's point in time.
 * 2. keys.db: `VACUUM INTO` afterwards. A record's key is created before its first event is
 *    appended, so every key an event of the snapshot needs is there (unless destroyed meanwhile: the
 *    destruction ledger has those, and restore destroys them again).
 * 3. Blobs: exactly those the snapshot's events name (content, OCR text, release packages), copied
 *    afterwards. A blob is written before the event naming it is appended, so every one is on disk
 *    by now; an upload still running has no event in the snapshot, and none of its blobs is copied:
 *    it is wholly out.
 * 4. master.key only when asked (see BackupOptions). Never token.secret: it signs tokens for the
 *    live server, so a backup holding it would let its reader sign in there as anyone; a restored
 *    server makes a new one (everyone signs in again). Never the read models (decrypted PHI; rebuilt).
 * 5. manifest.json last (a backup without it is incomplete), with the SHA-256 and size of every file.
 */
export async function takeBackup(config: AppConfig, target: string, options: BackupOptions = {}): Promise<BackupResult> {
  requireEmbedded(config);
  if (options.includeMasterKey && options.excludeMasterKey) throw CliError.usage('--include-master-key and --exclude-master-key exclude each other');
  const dataDir = config.dataDir;
  const eventsFile = config.eventStore.kind === 'sqlite' ? config.eventStore.filename : '';
  if (!existsSync(eventsFile)) throw CliError.usage(`No event store at ${eventsFile}: nothing to back up (is MEDREC_DATA_DIR right?)`);
  const masterKeyFile = join(dataDir, MASTER_KEY_FILE);
  const masterKeyInDataDir = !config.masterKey && existsSync(masterKeyFile);
  if (masterKeyInDataDir && !options.includeMasterKey && !options.excludeMasterKey) {
    throw CliError.usage(
      `The master key is in the data directory (${masterKeyFile}). Pass --exclude-master-key and keep a copy of it apart from the backups ` +
        '(recommended: a backup without it holds no readable PHI), or --include-master-key to put it in the backup (which then opens every record).',
    );
  }
  if (existsSync(target) && readdirSync(target).length > 0) throw CliError.usage(`${target} is not empty: back up into a new or empty directory`);
  makePrivateDirSync(target);

  const warnings: string[] = [];
  const files: BackupFile[] = [];
  const createdAt = new Date().toISOString();
  snapshotDatabase(eventsFile, join(target, EVENTS_FILE));
  files.push(await describe(target, EVENTS_FILE));
  const { headPosition, events, blobKeys } = readSnapshot(join(target, EVENTS_FILE));
  await options.onStep?.('events');

  const keysFile = join(dataDir, KEYS_FILE);
  if (!existsSync(keysFile)) throw new CliError(`No key store at ${keysFile}: the backup would hold no data key`);
  snapshotDatabase(keysFile, join(target, KEYS_FILE));
  files.push(await describe(target, KEYS_FILE));
  await options.onStep?.('keys');

  const blobRoot = config.blobStore.kind === 'fs' ? config.blobStore.root : '';
  const ledger = new DestructionLedger(config.destructionLedger);
  let destroyedSince: Set<string> | null = null;
  const blobsDestroyedMeanwhile: string[] = [];
  for (const key of [...blobKeys].sort()) {
    const copied = (await copyBlob(blobRoot, target, key)) ?? (await copyBlob(blobRoot, target, `${ARCHIVE_DIR}/${key}`));
    if (copied) {
      files.push(copied);
      continue;
    }
    // Gone since the snapshot: its record destroyed meanwhile (the ledger entry is written before the key and blobs go).
    destroyedSince ??= new Set(ledger.read().entries.map((e) => e.recordId));
    const recordId = /^records\/([^/]+)\//.exec(key)?.[1];
    if (recordId && destroyedSince.has(recordId)) blobsDestroyedMeanwhile.push(key);
    else warnings.push(`blob ${key}, named by an event of the snapshot, is missing from the blob store (run medrec verify)`);
  }
  await options.onStep?.('blobs');

  if (masterKeyInDataDir && options.includeMasterKey) {
    await copyPrivate(masterKeyFile, join(target, MASTER_KEY_FILE));
    files.push(await describe(target, MASTER_KEY_FILE));
    warnings.push('the backup holds the master key: anyone with the backup can read every record in it; keep it as safe as the key itself');
  }

  const manifest: BackupManifest = {
    format: BACKUP_FORMAT,
    formatVersion: BACKUP_FORMAT_VERSION,
    medrecVersion: medrecVersion(),
    createdAt,
    eventStore: { kind: 'sqlite', headPosition, events },
    masterKeyIncluded: masterKeyInDataDir && options.includeMasterKey === true,
    readModels: 'rebuilt-on-restore',
    blobsDestroyedMeanwhile,
    files,
  };
  const text = JSON.stringify(manifest, null, 2) + '\n';
  writePrivateFileSync(join(target, MANIFEST_FILE), text, 'wx');
  fsyncPath(join(target, MANIFEST_FILE));
  fsyncPath(target);
  return { manifest, manifestSha256: createHash('sha256').update(text).digest('hex'), warnings };
}

export function requireEmbedded(config: AppConfig): void {
  if (config.eventStore.kind !== 'sqlite' || config.blobStore.kind !== 'fs') {
    throw CliError.usage(
      'backup and restore cover the embedded deployment (EVENT_STORE=sqlite, BLOB_STORE=fs). On EventStoreDB and MinIO use their own backups; see README "Backup and restore".',
    );
  }
}

/**
 * A consistent copy of a live WAL database: VACUUM INTO reads in one transaction (one snapshot)
 * while other connections go on writing, and writes a compact database without a WAL.
 */
function snapshotDatabase(source: string, destination: string): void {
  const db = new Database(source, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 10000');
    db.prepare('VACUUM INTO ?').run(destination);
  } finally {
    db.close();
  }
  // VACUUM INTO syncs the new file itself; its mode is the process's default.
  chmodSync(destination, PRIVATE_FILE_MODE);
  fsyncPath(destination);
}

/** The snapshot's head, its event count, and every blob key its events name (except those of records destroyed in it and shredded packages). */
function readSnapshot(file: string): { headPosition: number; events: number; blobKeys: Set<string> } {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const { head, count } = db.prepare('SELECT coalesce(max(position), 0) AS head, count(*) AS count FROM events').get() as { head: number; count: number };
    const destroyed = new Set<string>();
    const shreddedPackages = new Set<string>();
    const keys: Array<{ recordId: string | undefined; key: string }> = [];
    const rows = db
      .prepare(
        "SELECT type, data FROM events WHERE type IN ('RecordCreated', 'RecordAmended', 'OcrCompleted', 'ReleasePackageBuilt', 'ReleasePackageShredded', 'RecordDestroyed')",
      )
      .iterate() as IterableIterator<{ type: string; data: string }>;
    for (const row of rows) {
      const data = JSON.parse(row.data) as { recordId?: string; content?: { blobKey?: unknown }; textKey?: unknown; packageKey?: unknown };
      if (row.type === 'RecordDestroyed' && data.recordId) destroyed.add(data.recordId);
      if (row.type === 'ReleasePackageShredded') {
        if (typeof data.packageKey === 'string') shreddedPackages.add(data.packageKey);
        continue;
      }
      for (const key of [data.content?.blobKey, data.textKey, data.packageKey]) if (typeof key === 'string') keys.push({ recordId: data.recordId, key });
    }
    const blobKeys = new Set(keys.filter((k) => !(k.recordId && destroyed.has(k.recordId)) && !shreddedPackages.has(k.key)).map((k) => k.key));
    return { headPosition: head, events: count, blobKeys };
  } finally {
    db.close();
  }
}

/** Copies `<root>/<key>` to `<target>/blobs/<key>`; null when it does not exist. */
async function copyBlob(root: string, target: string, key: string): Promise<BackupFile | null> {
  const source = join(root, key);
  try {
    if (!statSync(source).isFile()) return null;
  } catch {
    return null;
  }
  const path = `blobs/${key}`;
  try {
    await copyPrivate(source, join(target, path));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null; // deleted (or archived) between stat and copy
    throw error;
  }
  return describe(target, path);
}

export async function copyPrivate(source: string, destination: string): Promise<void> {
  makePrivateDirSync(dirname(destination));
  await copyFile(source, destination);
  await chmod(destination, PRIVATE_FILE_MODE);
  const handle = await open(destination, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function describe(root: string, path: string): Promise<BackupFile> {
  const file = join(root, path);
  return { path, size: statSync(file).size, sha256: await sha256OfFile(file) };
}

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
