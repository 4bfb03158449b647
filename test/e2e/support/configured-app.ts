import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../apps/api/src/config/app-config';
import { createApp } from '../../../apps/api/src/create-app';
import { ADMIN_PASSWORD, Client, TestApp } from './harness';

/**
 * Like startApp, with extra environment for loadConfig (e.g. MEDREC_MAX_UPLOAD_BYTES,
 * MEDREC_MAX_JSON_BYTES, MEDREC_TOKEN_SECRET): the real app on embedded stores in a fresh data directory.
 */
export async function startConfiguredApp(env: Record<string, string>, dataDir = mkdtempSync(join(tmpdir(), 'medrec-e2e-'))): Promise<TestApp> {
  const config = loadConfig({ ...env, MEDREC_DATA_DIR: dataDir, MEDREC_ADMIN_PASSWORD: ADMIN_PASSWORD, PORT: '0' } as NodeJS.ProcessEnv);
  const app = await createApp(config, process.env.E2E_LOGS ? undefined : false);
  await app.listen(0, '127.0.0.1');
  const baseUrl = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  return {
    app,
    baseUrl,
    dataDir,
    async close(options = {}) {
      await app.close();
      if (!options.keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The event store's head position, as GET /health/ready reports it. */
export async function headPosition(baseUrl: string): Promise<number> {
  const res = await new Client(baseUrl).get('/health/ready');
  if (res.status !== 200) throw new Error(`/health/ready answered ${res.status}`);
  return res.body.position;
}
