import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CliError, EXIT_USAGE } from '../cli-error';

export const MANIFEST_FILE = 'manifest.json';
export const BACKUP_FORMAT = 'medrec-backup';
export const BACKUP_FORMAT_VERSION = 1;

/** One file of a backup, its path relative to the backup directory (and to the data directory it is restored into). */
export interface BackupFile {
  path: string;
  size: number;
  sha256: string;
}

export interface BackupManifest {
  format: typeof BACKUP_FORMAT;
  formatVersion: typeof BACKUP_FORMAT_VERSION;
  medrecVersion: string;
  /** When the event store's snapshot was taken (ISO 8601): destructions logged after it are re-applied on restore. */
  createdAt: string;
  eventStore: { kind: 'sqlite'; headPosition: number; events: number };
  /** Whether master.key is in the backup (an embedded deployment without MEDREC_MASTER_KEY, with --include-master-key). */
  masterKeyIncluded: boolean;
  /** Read models are never backed up (they hold decrypted PHI and derive from the events): restore rebuilds them. */
  readModels: 'rebuilt-on-restore';
  /** Blobs that events of the snapshot name but that were gone when copied: records destroyed meanwhile (the ledger has them). */
  blobsDestroyedMeanwhile: string[];
  files: BackupFile[];
}

/** The files a backup may hold: the stores' snapshots, the master key (when asked), and blobs. */
const TOP_LEVEL_FILES = new Set(['events.db', 'keys.db', 'master.key']);
const SAFE_PATH = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

export function isAllowedBackupPath(path: string): boolean {
  if (!SAFE_PATH.test(path) || path.split('/').some((segment) => segment.startsWith('.'))) return false;
  return TOP_LEVEL_FILES.has(path) || (path.startsWith('blobs/') && path.split('/').length > 2);
}

export async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Reads and checks the shape of a backup's manifest; throws a usage error naming what is wrong. */
export function readManifest(backupDir: string): BackupManifest {
  const file = join(backupDir, MANIFEST_FILE);
  if (!existsSync(file)) throw CliError.usage(`${file} does not exist: not a medrec backup, or an incomplete one (the manifest is written last)`);
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw CliError.usage(`${file} is not valid JSON`);
  }
  const m = value as Partial<BackupManifest> | null;
  const problems: string[] = [];
  if (m?.format !== BACKUP_FORMAT || m.formatVersion !== BACKUP_FORMAT_VERSION)
    problems.push(`not a ${BACKUP_FORMAT} manifest of format version ${BACKUP_FORMAT_VERSION}`);
  if (!Array.isArray(m?.files)) problems.push('files must be a list');
  if (typeof m?.createdAt !== 'string' || Number.isNaN(Date.parse(m.createdAt))) problems.push('createdAt must be a time');
  if (!Number.isInteger(m?.eventStore?.headPosition)) problems.push('eventStore.headPosition must be an integer');
  const seen = new Set<string>();
  for (const f of Array.isArray(m?.files) ? m.files : []) {
    const valid =
      typeof f?.path === 'string' && isAllowedBackupPath(f.path) && Number.isSafeInteger(f.size) && f.size >= 0 && /^[0-9a-f]{64}$/.test(String(f.sha256));
    if (!valid) problems.push(`invalid file entry ${JSON.stringify(String(f?.path ?? '')).slice(0, 120)}`);
    else if (seen.has(f.path)) problems.push(`file listed twice: ${f.path}`);
    seen.add(f?.path);
  }
  for (const required of ['events.db', 'keys.db']) if (!seen.has(required)) problems.push(`${required} is not listed`);
  if (problems.length > 0) throw new CliError(`The backup's manifest is invalid: ${problems.slice(0, 10).join('; ')}`, EXIT_USAGE);
  return m as BackupManifest;
}

/** This program's version, from the project's package.json (found upwards from here: src/ and dist/ alike). */
export function medrecVersion(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'medrec') return pkg.version ?? 'unknown';
  }
  return 'unknown';
}
