/**
 * bench:read — audited GET /api/records/:id over HTTP on the embedded app (a separate server
 * process, as `npm start` runs it), 50 connections. Baseline in the same run: GET /health/live on
 * the same server (framework + HTTP cost only), so the ratio says what auditing a read costs.
 * Prints one JSON line.
 */
import autocannon from 'autocannon';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServerProcess } from '../test/support/server-process';
import { call, signIn } from './support/call';

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const RECORDS = 100;
const ADMIN_PASSWORD = 'bench-first-boot-secret';
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAAAAAA6mKC9AAAAGElEQVR4nGNgaEAF6HzaCTBg5dDfHSgSAOhufgEUIq2bAAAAAElFTkSuQmCC', 'base64');

async function token(baseUrl: string, username: string, password: string): Promise<string> {
  return signIn(baseUrl, username, password);
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function load(baseUrl: string, paths: string[], headers: Record<string, string>, seconds: number) {
  const latencies: number[] = [];
  let next = 0;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: baseUrl,
        connections: CONNECTIONS,
        duration: seconds,
        headers,
        requests: [{ setupRequest: (req: autocannon.Request) => ({ ...req, path: paths[next++ % paths.length] }) }],
      },
      (error: Error | null, done) => (error ? reject(error) : resolve(done)),
    );
    instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => latencies.push(responseTime));
  });
  latencies.sort((a, b) => a - b);
  return {
    requestsPerSec: Math.round(result.requests.total / seconds),
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    p50Ms: +percentile(latencies, 50).toFixed(2),
    p95Ms: +percentile(latencies, 95).toFixed(2),
    p99Ms: +percentile(latencies, 99).toFixed(2),
  };
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'medrec-bench-read-'));
  // BENCH_SERVER_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", profiles the server.
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const server = await startServerProcess(dataDir, { MEDREC_ADMIN_PASSWORD: ADMIN_PASSWORD, MEDREC_TOKEN_TTL_SECONDS: '3600' }, nodeArgs);
  try {
    const { baseUrl } = server;
    const admin = await token(baseUrl, 'admin', ADMIN_PASSWORD);
    for (const [username, role] of [
      ['clerk1', 'clerk'],
      ['clinician1', 'clinician'],
      ['auditor1', 'auditor'],
    ]) {
      await call(baseUrl, 'POST', '/api/users', admin, { username, password: 'bench-password-1', roles: [role] });
    }
    const clerk = await token(baseUrl, 'clerk1', 'bench-password-1');
    const ids: string[] = [];
    for (let i = 0; i < RECORDS; i++) {
      const form = new FormData();
      for (const [k, v] of Object.entries({
        mrn: `MRN${10000 + i}`,
        patientName: 'Bench Patient',
        dateOfBirth: '1970-01-01',
        documentType: 'progress-note',
        title: `Progress note ${i}`,
      }))
        form.append(k, v);
      form.append('file', new Blob([Buffer.concat([PNG, Buffer.from(String(i))])]), 'scan.png');
      ids.push((await call<{ id: string }>(baseUrl, 'POST', '/api/records', clerk, form)).id);
    }
    const clinician = await token(baseUrl, 'clinician1', 'bench-password-1');

    const baseline = await load(baseUrl, ['/health/live'], {}, Math.max(3, Math.round(SECONDS / 2)));
    const reads = await load(
      baseUrl,
      ids.map((id) => `/api/records/${id}`),
      { authorization: `Bearer ${clinician}`, 'x-purpose-of-use': 'treatment' },
      SECONDS,
    );

    // Every answered read must have left its RecordAccessed event.
    const auditor = await token(baseUrl, 'auditor1', 'bench-password-1');
    let accessEvents = 0;
    for (const id of ids) {
      const { events } = await call<{ events: Array<{ type: string; actor: string }> }>(baseUrl, 'GET', `/api/records/${id}/events`, auditor, undefined, {
        'x-purpose-of-use': 'audit',
      });
      accessEvents += events.filter((e) => e.type === 'RecordAccessed' && e.actor === 'clinician1').length;
    }
    process.stdout.write(
      JSON.stringify({
        bench: 'read',
        connections: CONNECTIONS,
        seconds: SECONDS,
        auditedReadsPerSec: reads.requestsPerSec,
        p50Ms: reads.p50Ms,
        p95Ms: reads.p95Ms,
        p99Ms: reads.p99Ms,
        ok: reads.ok,
        non2xx: reads.non2xx,
        errors: reads.errors,
        accessEventsLogged: accessEvents,
        baselineHealthPerSec: baseline.requestsPerSec,
        ratioToBaseline: +(reads.requestsPerSec / baseline.requestsPerSec).toFixed(3),
        target: { auditedReadsPerSec: 1500 },
      }) + '\n',
    );
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
