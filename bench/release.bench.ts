/**
 * bench:release — a release package of 200 versions (BENCH_VERSIONS; the scan fixtures of
 * test/fixtures repeated, as records of one patient) built (POST /api/release-requests/:id/fulfil:
 * a ZIP streamed through the stream cipher into the blob store, and one RecordReleased per record)
 * and streamed back (GET .../package), on the embedded app in a separate server process. Baseline
 * in the same run: the raw, audited read of the same decrypted originals one after the other
 * (GET /api/records/:id/versions/1/content). Reports MB/s both ways, the ratio, and the server's
 * peak RSS. Target: ratio >= 0.7, RSS <= 400 MB. One JSON line.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startServerProcess } from '../test/support/server-process';
import { call, signIn } from './support/call';

const VERSIONS = Number(process.env.BENCH_VERSIONS ?? 200);
const UPLOAD_CONCURRENCY = Number(process.env.BENCH_UPLOAD_CONCURRENCY ?? 4);
const ADMIN_PASSWORD = 'bench-first-boot-secret';
const PASSWORD = 'bench-password-1';
const MRN = 'BR-0001';
const MALLOC_ARENA_MAX = process.env.MALLOC_ARENA_MAX ?? '2';
const ROOT = resolve(__dirname, __dirname.includes('/dist/') ? '../..' : '..');
const SCANS = process.env.BENCH_SCANS ?? join(ROOT, 'test/fixtures/scans');
const round = (x: number, d = 1): number => +x.toFixed(d);
const MB = 1024 * 1024;

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
}

function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** Reads an answer's body to the end, counting its bytes (never keeping them). */
async function drain(res: Response): Promise<number> {
  if (res.status !== 200 || !res.body) throw new Error(`${res.url}: ${res.status} ${await res.text()}`);
  let bytes = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) bytes += chunk.length;
  return bytes;
}

async function main(): Promise<void> {
  const scans = readdirSync(SCANS).filter((f) => /\.(pdf|tif|png|jpg)$/.test(f));
  const dataDir = mkdtempSync(join(tmpdir(), 'medrec-bench-release-'));
  const server = await startServerProcess(dataDir, {
    MALLOC_ARENA_MAX,
    MEDREC_ADMIN_PASSWORD: ADMIN_PASSWORD,
    MEDREC_OCR_IN_PROCESS: 'false',
    MEDREC_TOKEN_TTL_SECONDS: '3600',
  });
  try {
    const { baseUrl } = server;
    const pid = server.child.pid!;
    const admin = await signIn(baseUrl, 'admin', ADMIN_PASSWORD);
    await call(baseUrl, 'POST', '/api/users', admin, { username: 'him1', password: PASSWORD, roles: ['him', 'clerk'] });
    const him = await signIn(baseUrl, 'him1', PASSWORD);

    const ids: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: UPLOAD_CONCURRENCY }, async () => {
        while (next < VERSIONS) {
          const i = next++;
          const file = scans[i % scans.length];
          const form = new FormData();
          for (const [k, v] of Object.entries({
            mrn: MRN,
            patientName: 'Bench Patient',
            dateOfBirth: '1970-01-01',
            documentType: 'correspondence',
            title: `Scan ${i}`,
            allowDuplicate: 'true',
          }))
            form.append(k, v);
          form.append('file', new Blob([readFileSync(join(SCANS, file))]), file);
          ids[i] = (await call<{ id: string }>(baseUrl, 'POST', '/api/records', him, form)).id;
        }
      }),
    );
    const headers = { authorization: `Bearer ${him}`, 'x-purpose-of-use': 'patient-request' };

    // Baseline: the same decrypted originals, read one after the other (each an audited read).
    const rawStarted = Date.now();
    let rawBytes = 0;
    for (const id of ids) rawBytes += await drain(await fetch(`${baseUrl}/api/records/${id}/versions/1/content`, { headers }));
    const rawSeconds = (Date.now() - rawStarted) / 1000;

    const today = new Date().toISOString().slice(0, 10);
    const request = await call<{ id: string }>(baseUrl, 'POST', '/api/release-requests', him, {
      mrn: MRN,
      requester: 'Bench Patient',
      recipient: { name: 'Dr. Bench' },
      purpose: 'continuing care',
      recordIds: ids,
      authorizationReference: 'AUTH-BENCH',
      authorizationExpires: '2099-12-31',
      receivedAt: today,
    });
    const peakReset = resetPeakRss(pid);
    const buildStarted = Date.now();
    const { packageUrl } = await call<{ packageUrl: string }>(baseUrl, 'POST', `/api/release-requests/${request.id}/fulfil`, him, {});
    const buildSeconds = (Date.now() - buildStarted) / 1000;
    const streamStarted = Date.now();
    const packageBytes = await drain(await fetch(baseUrl + packageUrl, { headers }));
    const streamSeconds = (Date.now() - streamStarted) / 1000;
    const peak = peakRssMb(pid);

    const rawMBps = rawBytes / MB / rawSeconds;
    const packageMBps = packageBytes / MB / (buildSeconds + streamSeconds);
    const ratio = packageMBps / rawMBps;
    const result = {
      bench: 'release',
      versions: VERSIONS,
      originalsMB: round(rawBytes / MB, 2),
      packageMB: round(packageBytes / MB, 2),
      raw: { endpoint: 'GET /api/records/:id/versions/1/content (sequential)', seconds: round(rawSeconds, 2), MBps: round(rawMBps, 2) },
      package: {
        buildSeconds: round(buildSeconds, 2),
        streamSeconds: round(streamSeconds, 2),
        MBps: round(packageMBps, 2),
        streamOnlyMBps: round(packageBytes / MB / streamSeconds, 2),
      },
      ratio: round(ratio, 2),
      peakRssMb: peak,
      peakRssReset: peakReset,
      mallocArenaMax: MALLOC_ARENA_MAX,
      target: { ratio: 0.7, peakRssMb: 400 },
      met: ratio >= 0.7 && peak <= 400,
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
