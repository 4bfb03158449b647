import { resolve } from 'node:path';

export interface AppConfig {
  port: number;
  host: string;
  dataDir: string;
  eventStore: { kind: 'sqlite'; filename: string } | { kind: 'eventstoredb'; connectionString: string };
  blobStore: { kind: 'fs'; root: string };
  /** Base64/hex master key from the environment; when absent an embedded deployment generates one. */
  masterKey?: string;
  adminPassword?: string;
  /** Base64 secret signing bearer tokens; when absent one is generated into the data directory. */
  tokenSecret?: string;
  tokenTtlSeconds: number;
  limits: { jsonBodyBytes: number; uploadBytes: number };
  /** Whether this deployment runs on embedded stores only (generated secrets are then acceptable). */
  embedded: boolean;
}

export class ConfigError extends Error {
  constructor(problems: string[]) {
    super(`Invalid configuration:\n - ${problems.join('\n - ')}`);
    this.name = 'ConfigError';
  }
}

/** The one configuration loader: reads the environment, validates everything, fails with every problem at once. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const problems: string[] = [];
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name} must be an integer between ${min} and ${max}`);
      return fallback;
    }
    return value;
  };

  const dataDir = resolve(env.MEDREC_DATA_DIR || './data');
  const eventStoreKind = env.EVENT_STORE || 'sqlite';
  let eventStore: AppConfig['eventStore'] = { kind: 'sqlite', filename: resolve(dataDir, 'events.db') };
  if (eventStoreKind === 'eventstoredb') {
    if (!env.EVENTSTORE_CONNECTION_STRING) problems.push('EVENT_STORE=eventstoredb needs EVENTSTORE_CONNECTION_STRING');
    eventStore = { kind: 'eventstoredb', connectionString: env.EVENTSTORE_CONNECTION_STRING ?? '' };
  } else if (eventStoreKind !== 'sqlite') {
    problems.push(`EVENT_STORE must be sqlite or eventstoredb`);
  }

  if (env.MEDREC_TOKEN_SECRET && Buffer.from(env.MEDREC_TOKEN_SECRET, 'base64').length < 32) {
    problems.push('MEDREC_TOKEN_SECRET must be base64 of at least 32 bytes');
  }
  const blobStoreKind = env.BLOB_STORE || 'fs';
  if (blobStoreKind !== 'fs') problems.push('BLOB_STORE must be fs (minio arrives with the ingestion work)');

  const config: AppConfig = {
    port: int('PORT', 3000, 0, 65535),
    host: env.HOST || '0.0.0.0',
    dataDir,
    eventStore,
    blobStore: { kind: 'fs', root: resolve(dataDir, 'blobs') },
    masterKey: env.MEDREC_MASTER_KEY || undefined,
    adminPassword: env.MEDREC_ADMIN_PASSWORD || undefined,
    tokenSecret: env.MEDREC_TOKEN_SECRET || undefined,
    tokenTtlSeconds: int('MEDREC_TOKEN_TTL_SECONDS', 900, 60, 86_400),
    limits: {
      jsonBodyBytes: int('MEDREC_MAX_JSON_BYTES', 256 * 1024, 1024, 10 * 1024 * 1024),
      uploadBytes: int('MEDREC_MAX_UPLOAD_BYTES', 50 * 1024 * 1024, 1024, 2 * 1024 * 1024 * 1024),
    },
    embedded: eventStore.kind === 'sqlite' && blobStoreKind === 'fs',
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

export const APP_CONFIG = Symbol('APP_CONFIG');
