import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, startApp, TestApp } from './harness';

/**
 * Like startApp, with extra environment for loadConfig (e.g. MEDREC_MAX_UPLOAD_BYTES,
 * MEDREC_MAX_JSON_BYTES, MEDREC_TOKEN_SECRET): the real app on embedded stores in a fresh data directory.
 */
export function startConfiguredApp(env: Record<string, string>, dataDir = mkdtempSync(join(tmpdir(), 'medrec-e2e-'))): Promise<TestApp> {
  return startApp(dataDir, env);
}

/** The event store's head position, as GET /health/ready reports it. */
export async function headPosition(baseUrl: string): Promise<number> {
  const res = await new Client(baseUrl).get('/health/ready');
  if (res.status !== 200) throw new Error(`/health/ready answered ${res.status}`);
  return res.body.position;
}
