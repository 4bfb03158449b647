import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PhiCodec } from '@medrec/application';
import type { BlobStore } from '@medrec/blob-store';
import { KeyStore, loadMasterKey, MASTER_KEY_FILE, SqliteKeyStore } from '@medrec/crypto';
import { QUERY_AUDIT_PHI_FIELDS, RECORD_PHI_FIELDS } from '@medrec/domain';
import type { EventStore } from '@medrec/event-store';
import { AppConfig, loadConfig } from '../../api/src/config/app-config';
import { createBlobStore } from '../../api/src/infrastructure/create-blob-store';
import { createEventStore } from '../../api/src/infrastructure/create-event-store';
import { CliError } from './cli-error';

/** Every store of a deployment, for commands that read PHI (verify, projections): they need the master key. */
export interface DataStores {
  config: AppConfig;
  events: EventStore;
  keys: KeyStore;
  blobs: BlobStore;
  codec: PhiCodec;
  close(): Promise<void>;
}

export async function openDataStores(env: NodeJS.ProcessEnv): Promise<DataStores> {
  const config = loadConfig(env);
  // Unlike the server, the CLI never generates a master key: one that does not exist cannot open the data keys.
  if (!config.masterKey && !existsSync(join(config.dataDir, MASTER_KEY_FILE))) {
    throw CliError.usage(`No master key: set MEDREC_MASTER_KEY or run where ${join(config.dataDir, MASTER_KEY_FILE)} exists`);
  }
  const masterKey = loadMasterKey({ env: { MEDREC_MASTER_KEY: config.masterKey }, dataDir: config.dataDir, embedded: config.embedded, warn: () => undefined });
  const events = createEventStore(config);
  const keys = new SqliteKeyStore({ file: join(config.dataDir, 'keys.db'), masterKey });
  let blobs: BlobStore;
  try {
    blobs = await createBlobStore(config);
  } catch (error) {
    await events.close();
    await keys.close();
    throw error;
  }
  return {
    config,
    events,
    keys,
    blobs,
    codec: new PhiCodec(keys, { ...RECORD_PHI_FIELDS, ...QUERY_AUDIT_PHI_FIELDS }),
    async close() {
      await events.close();
      await keys.close();
    },
  };
}

export async function withDataStores<T>(env: NodeJS.ProcessEnv, work: (stores: DataStores) => Promise<T>): Promise<T> {
  const stores = await openDataStores(env);
  try {
    return await work(stores);
  } finally {
    await stores.close();
  }
}
