import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { MASTER_KEY_FILE } from '@medrec/crypto';
import { loadConfig } from '@medrec/platform/config/app-config';
import { openStores, Stores } from '@medrec/platform/stores/open-stores';
import { CliError } from './cli-error';

/** Every store of a deployment, for commands that read PHI (verify, projections): they need the master key. */
export type DataStores = Stores;

export async function openDataStores(env: NodeJS.ProcessEnv): Promise<DataStores> {
  const config = loadConfig(env);
  // Unlike the server, the CLI never generates a master key: one that does not exist cannot open the data keys.
  if (!config.masterKey && !existsSync(join(config.dataDir, MASTER_KEY_FILE))) {
    throw CliError.usage(`No master key: set MEDREC_MASTER_KEY or run where ${join(config.dataDir, MASTER_KEY_FILE)} exists`);
  }
  return openStores(config);
}

export async function withDataStores<T>(env: NodeJS.ProcessEnv, work: (stores: DataStores) => Promise<T>): Promise<T> {
  const stores = await openDataStores(env);
  try {
    return await work(stores);
  } finally {
    await stores.close();
  }
}
