import { join } from 'node:path';
import { PhiCodec } from '@medrec/application';
import type { BlobStore } from '@medrec/blob-store';
import { KeyStore, loadMasterKey, SqliteKeyStore } from '@medrec/crypto';
import {
  AMENDMENT_REQUEST_PHI_FIELDS,
  COVER_SHEET_PHI_FIELDS,
  DISPOSAL_PHI_FIELDS,
  EMERGENCY_ACCESS_REVIEW_PHI_FIELDS,
  EMERGENCY_SEARCH_REVIEW_PHI_FIELDS,
  MATTER_HOLD_PHI_FIELDS,
  QUERY_AUDIT_PHI_FIELDS,
  RECORD_PHI_FIELDS,
  RELEASE_REQUEST_PHI_FIELDS,
} from '@medrec/domain';
import type { EventStore } from '@medrec/event-store';
import type { AppConfig } from '../config/app-config';
import { createBlobStore } from './create-blob-store';
import { createEventStore } from './create-event-store';
import { NoPhiKeyStore } from './no-phi-key-store';

/** The file of the per-record data keys, in the data directory (KEY_STORE=sqlite). */
export const KEYS_FILE = 'keys.db';

/** Every store of a deployment, chosen by configuration, and the codec that seals and opens PHI with its keys. */
export interface Stores {
  config: AppConfig;
  events: EventStore;
  keys: KeyStore;
  blobs: BlobStore;
  codec: PhiCodec;
  /** Closes the event store and the key store (the blob stores hold nothing open). */
  close(): Promise<void>;
}

/** The stores of a process that touches only PHI-free streams (users): no data keys, no blobs. */
export type PhiFreeStores = Omit<Stores, 'blobs'>;

export interface OpenStoresOptions {
  /** Where warnings go (a generated master key, a key file open to other users). Default: nowhere. */
  warn?: (message: string) => void;
  /**
   * false: no master key is loaded, the key store refuses any use (NoPhiKeyStore), the codec seals
   * nothing and no blob store is opened. For commands that must not need the master key.
   */
  phi?: boolean;
}

/**
 * Opens the stores the configuration names: the master key first (nothing is opened when it is
 * missing or malformed), then the event store, the key store and the blob store (a MinIO bucket is
 * created if missing). Whatever was opened is closed again when a later store fails to open.
 */
export async function openStores(config: AppConfig, options: OpenStoresOptions & { phi: false }): Promise<PhiFreeStores>;
export async function openStores(config: AppConfig, options?: OpenStoresOptions & { phi?: true }): Promise<Stores>;
export async function openStores(config: AppConfig, options: OpenStoresOptions = {}): Promise<Stores | PhiFreeStores> {
  const warn = options.warn ?? (() => undefined);
  const withPhi = options.phi !== false;
  const masterKey = withPhi
    ? loadMasterKey({ env: { MEDREC_MASTER_KEY: config.masterKey }, dataDir: config.dataDir, embedded: config.embedded, warn })
    : undefined;
  const events = createEventStore(config);
  const opened: Array<{ close(): Promise<void> }> = [events];
  const close = async () => {
    for (const store of opened) await store.close();
  };
  try {
    const keys: KeyStore = masterKey ? await openKeyStore(config, masterKey, warn) : new NoPhiKeyStore();
    opened.push(keys);
    if (!withPhi) return { config, events, keys, codec: new PhiCodec(keys, {}), close };
    const blobs = await createBlobStore(config);
    return {
      config,
      events,
      keys,
      blobs,
      codec: new PhiCodec(keys, {
        ...RECORD_PHI_FIELDS,
        ...QUERY_AUDIT_PHI_FIELDS,
        ...MATTER_HOLD_PHI_FIELDS,
        ...DISPOSAL_PHI_FIELDS,
        ...RELEASE_REQUEST_PHI_FIELDS,
        ...AMENDMENT_REQUEST_PHI_FIELDS,
        ...EMERGENCY_ACCESS_REVIEW_PHI_FIELDS,
        ...EMERGENCY_SEARCH_REVIEW_PHI_FIELDS,
        ...COVER_SHEET_PHI_FIELDS,
      }),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The configured key store; a MinIO one on the blob store's connection, loaded only when chosen (as the blob store). */
async function openKeyStore(config: AppConfig, masterKey: Buffer, warn: (message: string) => void): Promise<KeyStore> {
  const settings = config.keyStore;
  if (settings.kind === 'sqlite') return new SqliteKeyStore({ file: join(config.dataDir, KEYS_FILE), masterKey });
  if (config.blobStore.kind !== 'minio') throw new Error('KEY_STORE=minio needs BLOB_STORE=minio');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { MinioKeyStore } = require('@medrec/blob-store/minio') as typeof import('@medrec/blob-store/minio');
  const { endPoint, port, useSSL, accessKey, secretKey } = config.blobStore;
  return MinioKeyStore.open({
    connection: { endPoint, port, useSSL, accessKey, secretKey },
    bucket: settings.bucket,
    masterKey,
    cacheTtlMs: settings.cacheTtlMs,
    warn,
  });
}
