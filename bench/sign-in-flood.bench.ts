/**
 * bench:sign-in-flood — does a sign-in flood starve other users (issue 9, defect 3)? An
 * authenticated content read (GET /api/records/:id/versions/1/content, a ~1 MB PNG: file read,
 * decryption, audit append) is timed, one at a time, on a quiet server and then while 20 clients
 * sign in as fast as they can (wrong passwords: each costs one scrypt hash and a SignInFailed).
 * Run twice: with the shipped hashing slots (MEDREC_PASSWORD_HASH_CONCURRENCY=1) and unbounded
 * (64, as before the fix). The sign-in throttle is raised out of the way so that every flood
 * request reaches the hasher (with the shipped limits most of it would be answered 429 at once).
 * Prints one JSON line.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { startServerProcess } from '../test/support/server-process';
import { call, signIn } from './support/call';

const FLOODERS = Number(process.env.BENCH_FLOODERS ?? 20);
const READS = Number(process.env.BENCH_READS ?? 40);
/** Reads under the flood stop after this long even if fewer than READS were done (unbounded hashing makes each take seconds). */
const FLOOD_SECONDS = Number(process.env.BENCH_FLOOD_SECONDS ?? 60);
const ADMIN_PASSWORD = 'bench-first-boot-secret';
const PASSWORD = 'bench-password-1';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function timedReads(
  baseUrl: string,
  path: string,
  token: string,
  seconds = Infinity,
): Promise<{ reads: number; p50Ms: number; p95Ms: number; maxMs: number }> {
  const times: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  for (let i = 0; i < READS && performance.now() < deadline; i++) {
    const started = performance.now();
    const res = await fetch(baseUrl + path, { headers: { authorization: `Bearer ${token}`, 'x-purpose-of-use': 'treatment' } });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`content read: ${res.status}`);
    times.push(performance.now() - started);
    if (process.env.BENCH_VERBOSE) process.stderr.write(`read ${i}: ${times[times.length - 1].toFixed(1)} ms\n`);
  }
  times.sort((a, b) => a - b);
  return {
    reads: times.length,
    p50Ms: +percentile(times, 50).toFixed(1),
    p95Ms: +percentile(times, 95).toFixed(1),
    maxMs: +times[times.length - 1].toFixed(1),
  };
}

async function run(hashConcurrency: number) {
  const dataDir = mkdtempSync(join(tmpdir(), 'medrec-bench-flood-'));
  const server = await startServerProcess(dataDir, {
    MEDREC_ADMIN_PASSWORD: ADMIN_PASSWORD,
    MEDREC_OCR_IN_PROCESS: 'false',
    MEDREC_PASSWORD_HASH_CONCURRENCY: String(hashConcurrency),
    MEDREC_PASSWORD_HASH_QUEUE: '1000',
    MEDREC_SIGNIN_LIMIT_PER_ADDRESS: '1000000',
    MEDREC_SIGNIN_LIMIT_PER_USERNAME: '1000000',
  });
  try {
    const { baseUrl } = server;
    const admin = await signIn(baseUrl, 'admin', ADMIN_PASSWORD);
    await call(baseUrl, 'POST', '/api/users', admin, { username: 'clinician1', password: PASSWORD, roles: ['clerk', 'clinician'] });
    const reader = await signIn(baseUrl, 'clinician1', PASSWORD);
    const png = await sharp(randomBytes(600 * 600 * 3), { raw: { width: 600, height: 600, channels: 3 } })
      .png()
      .toBuffer();
    const form = new FormData();
    for (const [k, v] of Object.entries({
      mrn: 'MRN10000',
      patientName: 'Bench Patient',
      dateOfBirth: '1970-01-01',
      documentType: 'progress-note',
      title: 'Progress note',
    }))
      form.append(k, v);
    form.append('file', new Blob([png]), 'scan.png');
    const { id } = await call<{ id: string }>(baseUrl, 'POST', '/api/records', reader, form);
    const path = `/api/records/${id}/versions/1/content`;

    await timedReads(baseUrl, path, reader); // warm-up
    const quiet = await timedReads(baseUrl, path, reader);

    let flooding = true;
    const statuses: Record<number, number> = {};
    const flooders = Array.from({ length: FLOODERS }, async (_, i) => {
      for (let n = 0; flooding; n++) {
        const res = await fetch(`${baseUrl}/api/auth/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: `flooder-${i}-${n}`, password: 'not-the-password' }),
        });
        await res.arrayBuffer();
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      }
    });
    const floodStartedAt = performance.now();
    await new Promise((r) => setTimeout(r, 500)); // let the flood fill the pool
    const flood = await timedReads(baseUrl, path, reader, FLOOD_SECONDS);
    flooding = false;
    await Promise.all(flooders);
    const seconds = (performance.now() - floodStartedAt) / 1000;
    return {
      hashConcurrency,
      quiet,
      flood,
      p50Ratio: +(flood.p50Ms / quiet.p50Ms).toFixed(1),
      p95Ratio: +(flood.p95Ms / quiet.p95Ms).toFixed(1),
      signInsAnswered: statuses,
      signInsPerSec: +(Object.values(statuses).reduce((a, b) => a + b, 0) / seconds).toFixed(1),
    };
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const slots = await run(1);
  const unbounded = await run(64);
  process.stdout.write(
    JSON.stringify({ bench: 'sign-in-flood', flooders: FLOODERS, reads: READS, floodSecondsMax: FLOOD_SECONDS, contentBytes: '~1 MB PNG', slots, unbounded }) +
      '\n',
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
