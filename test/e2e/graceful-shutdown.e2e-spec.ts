import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnBuilt, startServerProcess, type ServerProcess } from '../support/server-process';
import { readEventStore } from './support/crash-support';
import { scanForm, scanManifest } from './support/fixtures';
import { ADMIN_PASSWORD, Client, login, PASSWORD, purpose, recordForm, TINY_PNG, usersByRole } from './support/harness';

const TIMEOUT_MS = 20_000;

type Outcome = { kind: 'answered'; status: number; contentType: string; retryAfter: string | null; id?: string; sha256?: string } | { kind: 'closed' };

/** One upload with its own deadline: a request that hangs is a failure, not a refusal. */
async function upload(client: Client, form: FormData): Promise<Outcome> {
  try {
    const res = await client.request('POST', '/api/records', { form, signal: AbortSignal.timeout(TIMEOUT_MS + 5_000) });
    return {
      kind: 'answered',
      status: res.status,
      contentType: res.contentType,
      retryAfter: res.headers.get('retry-after'),
      id: res.body.id,
      sha256: res.body.sha256,
    };
  } catch (error) {
    if ((error as Error).name === 'TimeoutError') throw new Error('an upload hung through the shutdown');
    return { kind: 'closed' }; // refused by a closed connection (fetch failed: ECONNREFUSED, ECONNRESET)
  }
}

/** An upload whose body arrives slowly, so it is still being received when the signal comes. */
async function slowUpload(baseUrl: string, token: string, form: FormData, spreadMs: number): Promise<Outcome> {
  const encoded = new Response(form);
  const contentType = encoded.headers.get('content-type')!;
  const bytes = Buffer.from(await encoded.arrayBuffer());
  const chunks = 10;
  let cancelled = false;
  const body = new ReadableStream<Uint8Array>({
    cancel: () => void (cancelled = true),
    async start(controller) {
      for (let i = 0; i < chunks && !cancelled; i++) {
        controller.enqueue(bytes.subarray(Math.floor((i * bytes.length) / chunks), Math.floor(((i + 1) * bytes.length) / chunks)));
        await new Promise((r) => setTimeout(r, spreadMs / chunks));
      }
      if (!cancelled) controller.close();
    },
  });
  let res: globalThis.Response;
  let json: { id?: string; sha256?: string };
  try {
    res = await fetch(`${baseUrl}/api/records`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
      body,
      duplex: 'half',
      signal: AbortSignal.timeout(TIMEOUT_MS + 5_000),
    });
    json = (await res.json()) as { id?: string; sha256?: string };
  } finally {
    cancelled = true; // the rest of the body is not sent (the connection may be gone)
  }
  return {
    kind: 'answered',
    status: res.status,
    contentType: res.headers.get('content-type') ?? '',
    retryAfter: res.headers.get('retry-after'),
    id: json.id,
    sha256: json.sha256,
  };
}

/**
 * A request on a connection opened before the signal, whose headers end only after it: the
 * connection is busy (not idle) when the shutdown begins, and the request itself new.
 */
function lateRequest(baseUrl: string): { finish(): Promise<string> } {
  const { hostname, port } = new URL(baseUrl);
  const socket = connect(Number(port), hostname);
  let answer = '';
  socket.on('data', (d: Buffer) => (answer += d.toString('latin1')));
  const ended = new Promise<string>((r) => {
    socket.on('close', () => r(answer));
    socket.on('error', () => r(answer));
  });
  socket.write(`GET /api/records HTTP/1.1\r\nHost: ${hostname}\r\n`);
  return {
    finish() {
      socket.write('Accept: application/json\r\n\r\n');
      return ended;
    },
  };
}

const exitOf = (server: ServerProcess) =>
  new Promise<{ code: number | null; at: number }>((r) => server.child.once('exit', (code) => r({ code, at: Date.now() })));

async function ocrStatus(client: Client, id: string, until: (status: string) => boolean, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = (await client.get(`/api/records/${id}`, purpose('operations'))).body.versions[0].ocr.status;
    if (until(status) || Date.now() > deadline) return status;
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('graceful shutdown', () => {
  let dataDir: string;
  beforeEach(() => (dataDir = mkdtempSync(join(tmpdir(), 'medrec-shutdown-'))));
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('SIGTERM during an upload storm: exit 0 in time, every acknowledged upload there after a restart, the rest refused cleanly', async () => {
    const env = {
      MEDREC_ADMIN_PASSWORD: ADMIN_PASSWORD,
      MEDREC_OCR_IN_PROCESS: 'true',
      MEDREC_OCR_WORKERS: '1',
      MEDREC_SHUTDOWN_TIMEOUT_MS: String(TIMEOUT_MS),
    };
    let server = await startServerProcess(dataDir, env);
    try {
      const u = await usersByRole(server.baseUrl);
      const token = (u.clerk as unknown as { token: string }).token;
      // A real scan, so that OCR is at work when the signal comes.
      const scan = scanManifest().find((s) => s.pages === 2)!;
      const scanned = await u.clerk.request('POST', '/api/records', { form: scanForm(scan) });
      expect(scanned.status).toBe(201);

      const outcomes: Array<{ outcome: Outcome; startedAfterSignal: boolean }> = [];
      let signalledAt = 0;
      const exited = exitOf(server);
      let next = 0;
      let startedAfterSignal = 0;
      // 40 uploads, and on a fast machine more: at least 10 begun after the signal (those are refused).
      const more = () => next < 40 || (signalledAt > 0 && startedAfterSignal < 10 && next < 200);
      const storm = Array.from({ length: 6 }, async () => {
        while (more()) {
          const i = next++;
          const afterSignal = signalledAt > 0;
          if (afterSignal) startedAfterSignal++;
          const form = recordForm({ title: `Storm ${i}` }, Buffer.concat([TINY_PNG, Buffer.from(`storm-${i}`)]));
          outcomes.push({ outcome: await upload(u.clerk, form), startedAfterSignal: afterSignal });
          if (i === 12 && signalledAt === 0) {
            // Two uploads still being received when the signal comes: they must be answered, not cut.
            slow.push(slowUpload(server.baseUrl, token, recordForm({ title: 'Slow A' }, Buffer.concat([TINY_PNG, Buffer.from('slow-a')])), 1_500));
            slow.push(slowUpload(server.baseUrl, token, recordForm({ title: 'Slow B' }, Buffer.concat([TINY_PNG, Buffer.from('slow-b')])), 2_500));
            await new Promise((r) => setTimeout(r, 300));
            signalledAt = Date.now();
            server.child.kill('SIGTERM');
          }
        }
      });
      const slow: Array<Promise<Outcome>> = [];
      const late = lateRequest(server.baseUrl);
      await Promise.all(storm);
      await new Promise((r) => setTimeout(r, Math.max(0, signalledAt + 200 - Date.now())));
      const lateAnswer = await late.finish();
      const slowOutcomes = await Promise.all(slow);
      const { code, at } = await exited;

      expect(code).toBe(0);
      expect(at - signalledAt).toBeLessThan(TIMEOUT_MS);
      expect(server.output()).toMatch(/SIGTERM: shutting down[\s\S]*Shut down cleanly/);
      // A new request on a connection still open: refused, and the connection closed after the answer.
      expect(lateAnswer).toMatch(/^HTTP\/1\.1 503 /);
      expect(lateAnswer).toMatch(/\r\ncontent-type: application\/problem\+json/i);
      expect(lateAnswer).toMatch(/\r\nretry-after: 5\r\n/i);
      expect(lateAnswer).toMatch(/\r\nconnection: close\r\n/i);
      expect(lateAnswer).toContain('"status":503');
      // Begun before the signal and still arriving: finished, and acknowledged.
      for (const outcome of slowOutcomes) expect(outcome).toMatchObject({ kind: 'answered', status: 201 });
      const all = [...outcomes.map((o) => o.outcome), ...slowOutcomes];
      for (const outcome of all) {
        if (outcome.kind === 'closed') continue;
        if (outcome.status === 201) continue;
        // Anything else is the shutdown's refusal: 503 problem+json with Retry-After.
        expect(outcome).toMatchObject({ status: 503, contentType: expect.stringContaining('application/problem+json'), retryAfter: '5' });
      }
      const acknowledged = all.filter((o): o is Extract<Outcome, { kind: 'answered' }> => o.kind === 'answered' && o.status === 201);
      const refused = all.length - acknowledged.length;
      expect(acknowledged.length).toBeGreaterThanOrEqual(13);
      expect(refused).toBeGreaterThan(0);
      if (process.env.SHUTDOWN_FIGURES)
        console.log({
          acknowledged: acknowledged.length,
          refused503: all.filter((o) => o.kind === 'answered' && o.status === 503).length,
          closed: all.filter((o) => o.kind === 'closed').length,
          exitMs: at - signalledAt,
        });

      server = await startServerProcess(dataDir, env);
      const clerk = await login(server.baseUrl, 'clerk1', PASSWORD);
      for (const { id, sha256 } of acknowledged) {
        const rec = await clerk.get(`/api/records/${id}`, purpose('operations'));
        expect({ id, status: rec.status, sha256: rec.body.versions?.[0]?.sha256 }).toEqual({ id, status: 200, sha256 });
        expect((await clerk.get(`/api/records/${id}/versions/1/content`, purpose('operations'))).status).toBe(200);
      }
      // The scan's OCR was finished before the exit, or released and finished now: once.
      expect(await ocrStatus(clerk, scanned.body.id, (s) => s !== 'pending', 30_000)).toBe('done');
      const results = readEventStore<{ n: number }>(
        dataDir,
        "SELECT count(*) AS n FROM events WHERE type = 'OcrCompleted' AND stream = ?",
        `record-${scanned.body.id}`,
      );
      expect(results[0].n).toBe(1);

      const stopped = exitOf(server);
      server.child.kill('SIGTERM');
      expect((await stopped).code).toBe(0);
      const verify = spawnBuilt('apps/cli/src/main', { MEDREC_DATA_DIR: dataDir }, ['verify', '--json']);
      expect({ exit: (await verify.exited).code, output: verify.output() }).toMatchObject({ exit: 0 });
      expect(JSON.parse(verify.output())).toMatchObject({ valid: true, brokenChains: [], contentProblems: [] });
    } finally {
      await server.stop();
    }
  }, 90_000);

  it('an upload still arriving when its share of the timeout ends is cut, never acknowledged; the process still exits 0 in time', async () => {
    const server = await startServerProcess(dataDir, {
      MEDREC_ADMIN_PASSWORD: ADMIN_PASSWORD,
      MEDREC_OCR_IN_PROCESS: 'false',
      MEDREC_SHUTDOWN_TIMEOUT_MS: '2000',
    });
    try {
      const admin = await login(server.baseUrl, 'admin', ADMIN_PASSWORD);
      expect((await admin.post('/api/users', { username: 'clerk1', password: PASSWORD, roles: ['clerk'] })).status).toBe(201);
      const clerk = await login(server.baseUrl, 'clerk1', PASSWORD);
      const token = (clerk as unknown as { token: string }).token;
      expect((await clerk.request('POST', '/api/records', { form: recordForm({ title: 'Before' }) })).status).toBe(201);
      // Its body takes 8 s to arrive: far beyond the 1.2 s the shutdown gives requests in flight.
      const slow = slowUpload(server.baseUrl, token, recordForm({ title: 'Too slow' }, Buffer.concat([TINY_PNG, Buffer.from('too-slow')])), 8_000).catch(
        (): Outcome => ({ kind: 'closed' }),
      );
      await new Promise((r) => setTimeout(r, 500));
      const exited = exitOf(server);
      const signalledAt = Date.now();
      server.child.kill('SIGTERM');
      const { code, at } = await exited;
      expect(code).toBe(0);
      expect(at - signalledAt).toBeLessThan(2_000);
      expect(server.output()).toContain('1 request(s) still unanswered');
      expect(await slow).toEqual({ kind: 'closed' });
      // Only the acknowledged upload is in the log.
      expect(readEventStore<{ n: number }>(dataDir, "SELECT count(*) AS n FROM events WHERE type = 'RecordCreated'")[0].n).toBe(1);
    } finally {
      await server.stop();
    }
  }, 30_000);

  it('SIGTERM while the worker OCRs: exit 0, and the job is finished or released for the next worker at once', async () => {
    const api = await startServerProcess(dataDir, { MEDREC_ADMIN_PASSWORD: ADMIN_PASSWORD, MEDREC_OCR_IN_PROCESS: 'false' });
    const workerEnv = { MEDREC_DATA_DIR: dataDir, MEDREC_OCR_WORKERS: '1', MEDREC_SHUTDOWN_TIMEOUT_MS: '6000' };
    let worker = spawnBuilt('apps/worker/src/main', workerEnv);
    try {
      const u = await usersByRole(api.baseUrl);
      const scan = scanManifest().find((s) => s.pages === 2)!;
      const created = await u.clerk.request('POST', '/api/records', { form: scanForm(scan) });
      expect(created.status).toBe(201);
      const jobStream = `ocr-job-${created.body.id}-v1`;
      const jobEvents = () =>
        readEventStore<{ type: string; data: string }>(dataDir, 'SELECT type, data FROM events WHERE stream = ? ORDER BY position', jobStream).map((e) => ({
          type: e.type,
          ...(JSON.parse(e.data) as { nodeId: string; attempt: number }),
        }));
      const deadline = Date.now() + 30_000;
      while (jobEvents().length === 0) {
        if (Date.now() > deadline) throw new Error(`the worker claimed nothing:\n${worker.output()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const signalledAt = Date.now();
      worker.child.kill('SIGTERM');
      const { code, at } = await worker.exited;
      expect({ code, output: worker.output() }).toMatchObject({ code: 0 });
      expect(at - signalledAt).toBeLessThan(6_000);
      const completed = () => readEventStore<{ n: number }>(dataDir, "SELECT count(*) AS n FROM events WHERE type = 'OcrCompleted'")[0].n;
      const finishedBeforeExit = completed() === 1;
      const [claim] = jobEvents();

      // The next worker is another node (a data directory of its own would give it its own id).
      rmSync(join(dataDir, 'node.id'), { force: true });
      worker = spawnBuilt('apps/worker/src/main', workerEnv);
      expect(await ocrStatus(u.clerk, created.body.id, (s) => s !== 'pending', 45_000)).toBe('done');
      const events = jobEvents();
      if (process.env.SHUTDOWN_FIGURES) console.log({ finishedBeforeExit, events, exitMs: at - signalledAt });
      if (finishedBeforeExit) {
        expect(events).toEqual([claim]);
      } else {
        // Released: the next node claimed it at once (not after the ten-minute lease), as attempt 1.
        expect(events.map((e) => e.type)).toEqual(['OcrJobClaimed', 'OcrJobReleased', 'OcrJobClaimed']);
        expect(events[2]).toMatchObject({ attempt: 1 });
        expect(events[2].nodeId).not.toBe(claim.nodeId);
      }
      expect(completed()).toBe(1);
    } finally {
      worker.child.kill('SIGTERM');
      await worker.exited;
      await api.stop();
    }
  }, 90_000);
});
