import { availableParallelism } from 'node:os';
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
// The module itself: the package index also loads the Nest guard, which the CLI and workers have no use for.
import { passwordPolicyProblem } from '@medrec/auth/password-policy';
import { MASTER_KEY_ENV, parseKey } from '@medrec/crypto/master-key';
import { OCR_PREPROCESSING, OcrPreprocessing } from '@medrec/ingest/ocr/ocr-preprocessing';
import { parseCorsOrigins, parseTrustProxy } from './network-config';
import { withSecretFiles } from './secret-env';

export interface AppConfig {
  port: number;
  host: string;
  dataDir: string;
  eventStore: { kind: 'sqlite'; filename: string } | { kind: 'eventstoredb'; connectionString: string };
  blobStore:
    | { kind: 'fs'; root: string }
    | {
        kind: 'minio';
        endPoint: string;
        port: number;
        useSSL: boolean;
        accessKey: string;
        secretKey: string;
        bucket: string;
        /** Archived content goes to this bucket; without it, under `archive/` in `bucket`. */
        archiveBucket?: string;
      };
  /**
   * Where the per-record data keys live (KEY_STORE): `keys.db` (SQLite) in the data directory, or a
   * bucket of its own on the blob store's MinIO, shared by every process of a deployment.
   */
  keyStore: { kind: 'sqlite' } | { kind: 'minio'; bucket: string; cacheTtlMs: number };
  /** Base64/hex master key from the environment; when absent an embedded deployment generates one. */
  masterKey?: string;
  adminPassword?: string;
  /** Base64 secret signing bearer tokens; when absent one is generated into the data directory. */
  tokenSecret?: string;
  tokenTtlSeconds: number;
  /** Renewed tokens keep working until this long after the password sign-in (MEDREC_MAX_SESSION_SECONDS). */
  maxSessionSeconds: number;
  /** Sign-in throttling (per address, per username, per window) and lock-out after consecutive failures. */
  signIn: { limitPerAddress: number; limitPerUsername: number; windowSeconds: number; lockoutAfterFailures: number };
  /** Password hashes (scrypt) run at once, and how many more may wait before sign-ins get 503. */
  passwordHashing: { concurrency: number; maxWaiting: number };
  /** How old the cached users directory and token revocations may be for per-request checks. */
  userRefreshMs: number;
  /** The facility named on certificates of destruction (MEDREC_FACILITY_NAME). */
  facilityName: string;
  /** The built web app served at `/` (MEDREC_WEB_DIR, default dist/web of the project); absent directory → no app served. */
  webDir: string;
  limits: {
    jsonBodyBytes: number;
    uploadBytes: number;
    maxPages: number;
    maxPixelsPerPage: number;
    /** Shortest side a page may have, in pixels (page-too-narrow). */
    minPageSidePixels: number;
    /** Longest side over shortest side a page may have (page-too-elongated). */
    maxPageAspectRatio: number;
    /** Longest an upload's inspection may take (inspection-timeout). */
    inspectionTimeoutSeconds: number;
    /** Image decodes (sharp) running at once in this process; the rest wait. */
    decodeSlots: number;
  };
  stacks: {
    /** Whether this (API) process splits received scanner stacks (MEDREC_STACKS_SPLIT, default true). */
    split: boolean;
  };
  ocr: {
    /** Whether this process works through pending OCR itself (embedded mode); workers do it in production. */
    inProcess: boolean;
    /** tesseract.js workers (one per core by default). */
    workers: number;
    /** Documents OCR'd at once. */
    concurrency: number;
    /**
     * Nice value of the OCR threads (MEDREC_OCR_THREAD_NICE, 0-19): each OCR thread reads it from
     * the process environment when it starts (libs/ingest/src/ocr/ocr-thread.js); validated here.
     */
    threadNice: number;
    /** How long a claimed OCR job stays this process's without renewal (renewed while it works): a worker that dies holding one delays it this long. */
    leaseSeconds: number;
    /** The OCR workers (their WASM heaps) are closed after this long without a page, and started again by the next. */
    idleSeconds: number;
    /**
     * What is done to a page in the OCR thread before tesseract reads it (MEDREC_OCR_PREPROCESS):
     * 'smooth-bilevel' (default: lower CER, ~30 MB more WASM heap per OCR worker) or 'none'.
     */
    preprocess: OcrPreprocessing;
    /** Whether tesseract's dictionary gets the clinical lexicon (MEDREC_OCR_LEXICON, default true). */
    lexicon: boolean;
  };
  review: {
    /** OCR mean confidence of a page (0-100) under which it goes to the review queue (MEDREC_REVIEW_CONFIDENCE). */
    minConfidence: number;
  };
  /** Events the projection runner applies per read-model transaction. */
  projectionBatchSize: number;
  /** Whether this deployment runs on embedded stores only (generated secrets are then acceptable). */
  embedded: boolean;
  /**
   * GET /metrics: the bearer token it requires (MEDREC_METRICS_TOKEN; without one, only clients on
   * loopback may read it), and the port an OCR worker serves it on (MEDREC_METRICS_PORT; a worker has no other HTTP server).
   */
  metrics: { token?: string; port?: number };
  /** /health/ready answers 503 while a read model lags more events than this (MEDREC_READY_MAX_LAG); unset: never for lag. */
  readyMaxLag?: number;
  /** The least severe level written to the JSON logs (MEDREC_LOG_LEVEL). */
  logLevel: LogLevel;
  /** The destruction ledger (MEDREC_DESTRUCTION_LEDGER): outside the data directory, which backups copy and restores replace. */
  destructionLedger: string;

  // Shutdown and hardening (README: Shutdown, Hardening / TLS).
  /** Longest a SIGTERM/SIGINT shutdown may take before the process gives up and exits non-zero. */
  shutdownTimeoutMs: number;
  /** Origins browsers may call the API from (MEDREC_CORS_ORIGINS); empty: CORS off. */
  corsOrigins: string[];
  /** Express `trust proxy` (MEDREC_TRUST_PROXY): false, a hop count, or trusted addresses/ranges. */
  trustProxy: false | number | string[];
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export class ConfigError extends Error {
  constructor(problems: string[]) {
    super(`Invalid configuration:\n - ${problems.join('\n - ')}`);
    this.name = 'ConfigError';
  }
}

/** The one configuration loader: reads the environment, validates everything, fails with every problem at once. */
export function loadConfig(given: NodeJS.ProcessEnv = process.env): AppConfig {
  const problems: string[] = [];
  // Secrets may come from files (X_FILE); from here on `env` holds them resolved.
  const env = withSecretFiles(given, problems);
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

  const bool = (name: string, fallback: boolean): boolean => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    if (['true', '1', 'yes'].includes(raw.toLowerCase())) return true;
    if (['false', '0', 'no'].includes(raw.toLowerCase())) return false;
    problems.push(`${name} must be true or false`);
    return fallback;
  };

  const dataDir = resolve(env.MEDREC_DATA_DIR || './data');
  const ocrWorkers = int('MEDREC_OCR_WORKERS', availableParallelism(), 1, 64);
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
  let blobStore: AppConfig['blobStore'] = { kind: 'fs', root: resolve(dataDir, 'blobs') };
  if (blobStoreKind === 'minio') {
    for (const name of ['MINIO_ENDPOINT', 'MINIO_ACCESS_KEY', 'MINIO_SECRET_KEY']) {
      if (!env[name]) problems.push(`BLOB_STORE=minio needs ${name}`);
    }
    if (env.MINIO_ENDPOINT && /[/:]/.test(env.MINIO_ENDPOINT)) problems.push('MINIO_ENDPOINT must be a host name or IP address, without scheme, port or path');
    if (env.MINIO_BUCKET && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(env.MINIO_BUCKET)) {
      problems.push('MINIO_BUCKET must be a valid bucket name (3-63 characters: a-z 0-9 . -)');
    }
    if (env.MINIO_ARCHIVE_BUCKET && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(env.MINIO_ARCHIVE_BUCKET)) {
      problems.push('MINIO_ARCHIVE_BUCKET must be a valid bucket name (3-63 characters: a-z 0-9 . -)');
    }
    if (env.MINIO_ARCHIVE_BUCKET && env.MINIO_ARCHIVE_BUCKET === (env.MINIO_BUCKET || 'medrec')) {
      problems.push('MINIO_ARCHIVE_BUCKET must differ from MINIO_BUCKET (leave it unset to archive under archive/ in the same bucket)');
    }
    blobStore = {
      kind: 'minio',
      endPoint: env.MINIO_ENDPOINT ?? '',
      port: int('MINIO_PORT', 9000, 1, 65535),
      useSSL: bool('MINIO_USE_SSL', false),
      accessKey: env.MINIO_ACCESS_KEY ?? '',
      secretKey: env.MINIO_SECRET_KEY ?? '',
      bucket: env.MINIO_BUCKET || 'medrec',
      ...(env.MINIO_ARCHIVE_BUCKET ? { archiveBucket: env.MINIO_ARCHIVE_BUCKET } : {}),
    };
  } else if (blobStoreKind !== 'fs') {
    problems.push('BLOB_STORE must be fs or minio');
  }

  const logLevel = (env.MEDREC_LOG_LEVEL || 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`MEDREC_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);

  // The destruction ledger: a restore re-applies it, so it must survive the loss of the data directory.
  const destructionLedger = resolve(env.MEDREC_DESTRUCTION_LEDGER || `${dataDir}-destruction-ledger.jsonl`);
  if (isWithin(destructionLedger, dataDir)) {
    problems.push('MEDREC_DESTRUCTION_LEDGER must be outside MEDREC_DATA_DIR (a restore replaces the data directory; the ledger must outlive it)');
  }

  const keyStoreKind = env.KEY_STORE || 'sqlite';
  let keyStore: AppConfig['keyStore'] = { kind: 'sqlite' };
  if (keyStoreKind === 'minio') {
    const bucket = env.MINIO_KEY_BUCKET || 'medrec-keys';
    if (blobStoreKind !== 'minio') problems.push('KEY_STORE=minio needs BLOB_STORE=minio (the key bucket is on the same MinIO, with its MINIO_* settings)');
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) problems.push('MINIO_KEY_BUCKET must be a valid bucket name (3-63 characters: a-z 0-9 . -)');
    if (bucket === (env.MINIO_BUCKET || 'medrec') || bucket === env.MINIO_ARCHIVE_BUCKET) {
      problems.push('MINIO_KEY_BUCKET must differ from MINIO_BUCKET and MINIO_ARCHIVE_BUCKET (keys need a bucket of their own, without versioning)');
    }
    keyStore = { kind: 'minio', bucket, cacheTtlMs: int('MEDREC_KEY_CACHE_MS', 1000, 0, 60_000) };
  } else if (keyStoreKind !== 'sqlite') {
    problems.push('KEY_STORE must be sqlite or minio');
  }

  const ocrPreprocess = (env.MEDREC_OCR_PREPROCESS || 'smooth-bilevel') as OcrPreprocessing;
  if (!OCR_PREPROCESSING.includes(ocrPreprocess)) problems.push(`MEDREC_OCR_PREPROCESS must be one of ${OCR_PREPROCESSING.join(', ')}`);

  const config: AppConfig = {
    port: int('PORT', 3000, 0, 65535),
    host: env.HOST || '0.0.0.0',
    dataDir,
    eventStore,
    blobStore,
    keyStore,
    masterKey: env.MEDREC_MASTER_KEY || undefined,
    adminPassword: env.MEDREC_ADMIN_PASSWORD || undefined,
    tokenSecret: env.MEDREC_TOKEN_SECRET || undefined,
    tokenTtlSeconds: int('MEDREC_TOKEN_TTL_SECONDS', 900, 10, 86_400),
    maxSessionSeconds: int('MEDREC_MAX_SESSION_SECONDS', 12 * 3600, 60, 7 * 86_400),
    limits: {
      jsonBodyBytes: int('MEDREC_MAX_JSON_BYTES', 256 * 1024, 1024, 10 * 1024 * 1024),
      uploadBytes: int('MEDREC_MAX_UPLOAD_BYTES', 50 * 1024 * 1024, 1024, 2 * 1024 * 1024 * 1024),
      maxPages: int('MEDREC_MAX_PAGES', 500, 1, 100_000),
      maxPixelsPerPage: int('MEDREC_MAX_PIXELS_PER_PAGE', 60_000_000, 10_000, 1_000_000_000),
      minPageSidePixels: int('MEDREC_MIN_PAGE_SIDE_PIXELS', 16, 1, 10_000),
      maxPageAspectRatio: int('MEDREC_MAX_PAGE_ASPECT_RATIO', 20, 1, 10_000),
      inspectionTimeoutSeconds: int('MEDREC_INSPECTION_TIMEOUT_SECONDS', 120, 1, 3_600),
      decodeSlots: int('MEDREC_DECODE_SLOTS', 2, 1, 64),
    },
    stacks: {
      split: bool('MEDREC_STACKS_SPLIT', true),
    },
    ocr: {
      inProcess: bool('MEDREC_OCR_IN_PROCESS', true),
      workers: ocrWorkers,
      // One document in preparation for every two workers: two threads recognising keep up with one
      // being rasterized ahead of them; more only held pages and PDF threads in memory (bench:ingest's
      // peak 357-372 MB with two, 333-338 with one, at the same speed).
      concurrency: int('MEDREC_OCR_CONCURRENCY', Math.max(1, Math.floor(ocrWorkers / 2)), 1, 64),
      threadNice: int('MEDREC_OCR_THREAD_NICE', 10, 0, 19),
      leaseSeconds: int('MEDREC_OCR_LEASE_SECONDS', 60, 5, 86_400),
      idleSeconds: int('MEDREC_OCR_IDLE_SECONDS', 60, 1, 86_400),
      preprocess: ocrPreprocess,
      lexicon: bool('MEDREC_OCR_LEXICON', true),
    },
    review: {
      minConfidence: int('MEDREC_REVIEW_CONFIDENCE', 70, 0, 100),
    },
    signIn: {
      limitPerAddress: int('MEDREC_SIGNIN_LIMIT_PER_ADDRESS', 30, 1, 1_000_000),
      limitPerUsername: int('MEDREC_SIGNIN_LIMIT_PER_USERNAME', 5, 1, 1_000_000),
      windowSeconds: int('MEDREC_SIGNIN_WINDOW_SECONDS', 60, 1, 86_400),
      lockoutAfterFailures: int('MEDREC_LOCKOUT_AFTER_FAILURES', 10, 1, 1_000_000),
    },
    passwordHashing: {
      concurrency: int('MEDREC_PASSWORD_HASH_CONCURRENCY', 1, 1, 64),
      maxWaiting: int('MEDREC_PASSWORD_HASH_QUEUE', 64, 0, 100_000),
    },
    userRefreshMs: int('MEDREC_USER_REFRESH_MS', 1000, 0, 60_000),
    facilityName: (env.MEDREC_FACILITY_NAME ?? '').trim() || 'medrec',
    webDir: resolve(env.MEDREC_WEB_DIR ?? join(projectRoot(), 'dist', 'web')),
    projectionBatchSize: int('MEDREC_PROJECTION_BATCH_SIZE', 500, 1, 10_000),
    embedded: eventStore.kind === 'sqlite' && blobStoreKind === 'fs',
    metrics: {
      ...(env.MEDREC_METRICS_TOKEN ? { token: env.MEDREC_METRICS_TOKEN } : {}),
      ...(env.MEDREC_METRICS_PORT ? { port: int('MEDREC_METRICS_PORT', 0, 1, 65535) } : {}),
    },
    ...(env.MEDREC_READY_MAX_LAG ? { readyMaxLag: int('MEDREC_READY_MAX_LAG', 0, 1, 1_000_000_000) } : {}),
    logLevel,
    destructionLedger,

    shutdownTimeoutMs: int('MEDREC_SHUTDOWN_TIMEOUT_MS', 25_000, 1_000, 600_000),
    corsOrigins: parseCorsOrigins(env.MEDREC_CORS_ORIGINS, problems),
    trustProxy: parseTrustProxy(env.MEDREC_TRUST_PROXY, problems),
  };
  if (config.metrics.token !== undefined && !/^[\x21-\x7e]{32,256}$/.test(config.metrics.token)) {
    problems.push('MEDREC_METRICS_TOKEN must be 32 to 256 printable characters without spaces (e.g. openssl rand -hex 32)');
  }
  if (config.adminPassword) {
    const problem = passwordPolicyProblem(config.adminPassword, 'admin');
    if (problem) problems.push(`MEDREC_ADMIN_PASSWORD ${problem} (the password policy of every account)`);
  }
  if (config.masterKey && !parseKey(config.masterKey.trim())) {
    problems.push(`${MASTER_KEY_ENV} must encode exactly 32 bytes, as base64 (44 characters) or hex (64 characters)`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

export const APP_CONFIG = Symbol('APP_CONFIG');

function isWithin(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** The directory of medrec's package.json, whether this module runs from src/ (tests) or dist/. */
function projectRoot(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'nest-cli.json'))) return dir;
  }
  return process.cwd();
}
