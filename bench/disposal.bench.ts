/**
 * bench:disposal — one disposal batch of 10 000 records with content (BENCH_RECORDS), proposed,
 * approved by a second archivist and executed through the API of the embedded app (a separate
 * server process, as `npm start` runs it). Baseline in the same run: single-record destruction
 * (`POST /api/records/:id/destruction-approvals` by a second archivist, then
 * `POST /api/records/:id/destroy`) on BENCH_BASELINE_RECORDS (200) other records, one after the
 * other as the batch does. Reports records destroyed per second both ways, the ratio, and the
 * server's peak RSS. Target: the batch of 10 000 within 60 s, RSS <= 400 MB. One JSON line, with
 * where the execution spent its time (`stages`, from the server's log line for the batch; stages
 * of records handled concurrently add up their own durations), the projections' lag during and
 * after it, and the event loop's busy share. BENCH_CPU_PROF=<dir>: the server writes a V8 CPU
 * profile there when the bench stops it.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServerProcess } from '../test/support/server-process';
import { call, signIn } from './support/call';

const RECORDS = Number(process.env.BENCH_RECORDS ?? 10_000);
const BASELINE_RECORDS = Number(process.env.BENCH_BASELINE_RECORDS ?? 200);
const UPLOAD_CONCURRENCY = Number(process.env.BENCH_UPLOAD_CONCURRENCY ?? 8);
const ADMIN_PASSWORD = 'bench-first-boot-secret';
const PASSWORD = 'bench-password-1';
const AUTHORITY = 'State records schedule GS-12';
/** glibc malloc arenas of the server, as `npm start` sets them unless the environment says otherwise. */
const MALLOC_ARENA_MAX = process.env.MALLOC_ARENA_MAX ?? '2';
const CPU_PROF_DIR = process.env.BENCH_CPU_PROF;
/** How often the projections' lag is sampled during the execution. */
const LAG_SAMPLE_MS = 500;
/** A 16 x 16 gray PNG; each upload appends its own bytes after IEND so no two contents are the same. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAAAAAA6mKC9AAAAGElEQVR4nGNgaEAF6HzaCTBg5dDfHSgSAOhufgEUIq2bAAAAAElFTkSuQmCC', 'base64');
const round = (x: number, d = 1): number => +x.toFixed(d);

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
}

/** Resets the process's peak RSS to its current RSS (Linux clear_refs 5); false where not allowed. */
function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

interface Readiness {
  position: number;
  projections: Array<{ name: string; lag: number }>;
}

async function projectionLag(baseUrl: string): Promise<number> {
  const ready = await call<Readiness>(baseUrl, 'GET', '/health/ready');
  return Math.max(0, ...ready.projections.map((p) => p.lag));
}

/** The execution's own account of its time (the server's log line for the batch). */
function executionLog(output: string, batchId: string): { stages: unknown; eventLoopBusyPercent: number } | null {
  const line = output.split('\n').find((l) => l.includes(`Disposal batch ${batchId} executed`));
  // The server logs JSON lines: the figures are in the line's message.
  const message = line?.startsWith('{') ? (JSON.parse(line) as { msg: string }).msg : line;
  const match = message && /event loop (\d+)% busy; stages (\{.*\})/.exec(message);
  return match ? { eventLoopBusyPercent: Number(match[1]), stages: JSON.parse(match[2]) as unknown } : null;
}

async function upload(baseUrl: string, clerk: string, count: number, label: string): Promise<string[]> {
  const ids: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: UPLOAD_CONCURRENCY }, async () => {
      while (next < count) {
        const i = next++;
        const form = new FormData();
        // An adult's encounter in 2001: long past the 10-year default schedule.
        for (const [k, v] of Object.entries({
          mrn: `BD-${i % 500}`,
          patientName: 'Bench Patient',
          dateOfBirth: '1950-01-01',
          documentType: 'discharge-summary',
          title: `${label} ${i}`,
          encounterDate: '2001-03-04',
          allowDuplicate: 'true',
        }))
          form.append(k, v);
        form.append('file', new Blob([Buffer.concat([PNG, Buffer.from(`${label}-${i}`)])]), 'scan.png');
        ids.push((await call<{ id: string }>(baseUrl, 'POST', '/api/records', clerk, form)).id);
      }
    }),
  );
  return ids;
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'medrec-bench-disposal-'));
  // With a profile: exit (and so write it) on SIGTERM at once, before the app's own shutdown.
  const nodeArgs = CPU_PROF_DIR
    ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF_DIR}`, '--import', "data:text/javascript,process.once('SIGTERM',()=>process.exit(0))"]
    : [];
  const server = await startServerProcess(
    dataDir,
    {
      MALLOC_ARENA_MAX,
      MEDREC_ADMIN_PASSWORD: ADMIN_PASSWORD,
      MEDREC_OCR_IN_PROCESS: 'false',
      MEDREC_TOKEN_TTL_SECONDS: '3600',
    },
    nodeArgs,
  );
  try {
    const { baseUrl } = server;
    const pid = server.child.pid!;
    const admin = await signIn(baseUrl, 'admin', ADMIN_PASSWORD);
    for (const [username, role] of [
      ['clerk1', 'clerk'],
      ['archivist1', 'archivist'],
      ['archivist2', 'archivist'],
    ])
      await call(baseUrl, 'POST', '/api/users', admin, { username, password: PASSWORD, roles: [role] });
    const [clerk, archivist, archivist2] = await Promise.all(['clerk1', 'archivist1', 'archivist2'].map((u) => signIn(baseUrl, u, PASSWORD)));

    const setupStarted = Date.now();
    const batchIds = await upload(baseUrl, clerk, RECORDS, 'batch');
    const baselineIds = await upload(baseUrl, clerk, BASELINE_RECORDS, 'baseline');
    const setupSeconds = (Date.now() - setupStarted) / 1000;
    const peakAfterSetup = peakRssMb(pid);

    // Baseline: one record at a time through the single-record endpoints, dual control included.
    const baselineStarted = Date.now();
    for (const id of baselineIds) {
      await call(baseUrl, 'POST', `/api/records/${id}/destruction-approvals`, archivist2, { authority: AUTHORITY });
      await call(baseUrl, 'POST', `/api/records/${id}/destroy`, archivist, { authority: AUTHORITY, approvedBy: 'archivist2' });
    }
    const baselineSeconds = (Date.now() - baselineStarted) / 1000;

    // The batch: every record due (the baseline's are destroyed already), proposed, approved, executed.
    const peakReset = resetPeakRss(pid);
    const proposeStarted = Date.now();
    const proposed = await call<{ id: string; included: string[] }>(baseUrl, 'POST', '/api/disposal/batches', archivist, {
      asOf: '2020-01-01',
      authority: AUTHORITY,
    });
    const proposeSeconds = (Date.now() - proposeStarted) / 1000;
    if (proposed.included.length !== RECORDS) throw new Error(`the batch includes ${proposed.included.length} records, not ${RECORDS}`);
    await call(baseUrl, 'POST', `/api/disposal/batches/${proposed.id}/approve`, archivist2, {});
    const executeStarted = Date.now();
    let executing = true;
    let maxLag = 0;
    const sampling = (async () => {
      while (executing) {
        maxLag = Math.max(maxLag, await projectionLag(baseUrl));
        await new Promise((r) => setTimeout(r, LAG_SAMPLE_MS));
      }
    })();
    const executed = await call<{ destroyed: string[]; skipped: unknown[]; certificateId: string }>(
      baseUrl,
      'POST',
      `/api/disposal/batches/${proposed.id}/execute`,
      archivist,
      {},
    ).finally(() => (executing = false));
    const executeSeconds = (Date.now() - executeStarted) / 1000;
    await sampling;
    // The read models purge the destroyed records' rows after the execution answers, if they lag.
    const lagAtEnd = await projectionLag(baseUrl);
    const caughtUpStarted = Date.now();
    while ((await projectionLag(baseUrl)) > 0) await new Promise((r) => setTimeout(r, 50));
    const projectionCatchUpSeconds = (Date.now() - caughtUpStarted) / 1000;
    if (executed.destroyed.length !== RECORDS) throw new Error(`destroyed ${executed.destroyed.length} of ${RECORDS}`);
    const expected = new Set(batchIds);
    if (!executed.destroyed.every((id) => expected.has(id))) throw new Error('the batch destroyed a record it was not given');
    const peak = peakRssMb(pid);

    const account = executionLog(server.output(), proposed.id);
    const baselinePerSec = BASELINE_RECORDS / baselineSeconds;
    const result = {
      bench: 'disposal',
      records: RECORDS,
      setupSeconds: round(setupSeconds),
      uploadConcurrency: UPLOAD_CONCURRENCY,
      proposeSeconds: round(proposeSeconds, 2),
      executeSeconds: round(executeSeconds),
      recordsDestroyedPerSec: round(RECORDS / executeSeconds),
      stages: account?.stages ?? 'unavailable (no log line for the batch)',
      eventLoopBusyPercent: account?.eventLoopBusyPercent,
      projections: { maxLagDuringExecution: maxLag, lagAtEnd, catchUpSecondsAfter: round(projectionCatchUpSeconds, 2) },
      baseline: {
        endpoint: 'POST /api/records/:id/destruction-approvals + POST /api/records/:id/destroy',
        records: BASELINE_RECORDS,
        recordsPerSec: round(baselinePerSec),
      },
      ratioVsSingleRecord: round(RECORDS / executeSeconds / baselinePerSec, 2),
      // The whole run's peak (uploads included), and the peak from the proposal on where the kernel lets it be reset.
      peakRssMb: Math.max(peak, peakAfterSetup),
      peakRssMbDuringBatch: peakReset ? peak : 'unavailable (clear_refs not writable)',
      mallocArenaMax: MALLOC_ARENA_MAX,
      target: { records: 10_000, executeSeconds: 60, peakRssMb: 400 },
      met: RECORDS >= 10_000 ? executeSeconds <= 60 && Math.max(peak, peakAfterSetup) <= 400 : `n/a (BENCH_RECORDS=${RECORDS} < 10000)`,
    };
    writeFileSync(1, JSON.stringify(result) + '\n');
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
