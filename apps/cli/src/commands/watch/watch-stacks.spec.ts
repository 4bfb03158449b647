import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testIo, TestIo } from '../../testing/test-io';
import { watch, WatchOptions } from './watch.command';

/**
 * The watcher in stack mode against a small HTTP server that implements the stack contract
 * (docs/api.md, POST /api/stacks: Idempotency-Key, 202 for a new stack, 200 for a repeated key),
 * scripted to answer what the real server rarely does on cue (503s, an answer that never comes, a
 * 404). Against the real endpoint (a stack sent, split, moved to done/; an oversize one refused):
 * test/e2e/stacks-watch.e2e-spec.ts.
 */
const PASSWORD = 'clerk-password-for-tests';
const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

interface StackCall {
  key: string | undefined;
  authorization: string | undefined;
  fields: string[];
  filename: string;
  bytes: Buffer;
  status: number;
}

type Script = (call: StackCall, res: ServerResponse) => boolean | void;

function problem(res: ServerResponse, status: number, body: object) {
  res.writeHead(status, { 'content-type': 'application/problem+json' }).end(JSON.stringify({ status, ...body }));
}

describe('medrec watch in process: stacks against the stack contract, manifest refusals', () => {
  let server: Server;
  let baseUrl: string;
  let folder: string;
  let calls: StackCall[];
  let stacks: Map<string, string>;
  /** Answers a call instead of the contract's default when it returns true. */
  let script: Script | undefined;
  let running: { stop: () => Promise<void>; io: TestIo; done: Promise<void> }[];

  beforeEach(async () => {
    folder = mkdtempSync(join(tmpdir(), 'medrec-watch-'));
    calls = [];
    stacks = new Map();
    script = undefined;
    running = [];
    server = createServer((req, res) => void handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    for (const watcher of running) await watcher.stop().catch(() => undefined);
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    rmSync(folder, { recursive: true, force: true });
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    if (req.method === 'POST' && req.url === '/api/auth/token') {
      const { password } = JSON.parse(body.toString());
      if (password !== PASSWORD) return problem(res, 401, { detail: 'Invalid credentials' });
      return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ accessToken: 'token-1', expiresIn: 900 }));
    }
    if (req.method === 'POST' && req.url === '/api/stacks') {
      const form = await new Request('http://x/', { method: 'POST', headers: req.headers as Record<string, string>, body }).formData();
      const file = form.get('file') as File;
      const call: StackCall = {
        key: req.headers['idempotency-key'] as string | undefined,
        authorization: req.headers.authorization,
        fields: [...form.keys()],
        filename: file.name,
        bytes: Buffer.from(await file.arrayBuffer()),
        status: 0,
      };
      calls.push(call);
      const original = res.writeHead.bind(res);
      res.writeHead = (status: number, ...rest: never[]) => {
        call.status = status;
        return original(status, ...rest);
      };
      if (script?.(call, res)) return;
      if (!call.key || !/^[0-9a-f]{64}$/.test(call.key)) return problem(res, 400, { detail: 'Idempotency-Key is required' });
      if (!call.bytes.subarray(0, 5).equals(Buffer.from('%PDF-'))) return problem(res, 415, { detail: 'Not a PDF or TIFF', reason: 'unsupported-type' });
      const existing = stacks.get(call.key);
      if (existing) return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ stackId: existing }));
      const stackId = `stack-${stacks.size + 1}`;
      stacks.set(call.key, stackId);
      return res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ stackId }));
    }
    problem(res, 404, { detail: 'Not found' });
  }

  function start(options: WatchOptions = {}, env: Record<string, string> = { MEDREC_PASSWORD: PASSWORD }, rescanMs = 500) {
    const stop = new AbortController();
    const io = testIo(env);
    const done = watch(io, folder, { server: baseUrl, username: 'clerk1', settleMs: 150, ...options }, stop.signal, {
      retryBaseMs: 100,
      clientRetryBaseMs: 5,
      rescanMs,
    });
    done.catch(() => undefined);
    const watcher = {
      io,
      done,
      stop: async () => {
        stop.abort();
        await done;
      },
    };
    running.push(watcher);
    return watcher;
  }

  async function until(what: string, condition: () => boolean, timeoutMs = 10_000) {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  const pdf = (text: string) => Buffer.from(`%PDF-1.7\n${text}\n%%EOF\n`);
  const listing = (sub = '') => readdirSync(join(folder, sub)).sort();

  it('sends every finished file once as a stack keyed by its SHA-256, moves it to done/, and leaves the rest alone', async () => {
    const early = pdf('stack found at start');
    writeFileSync(join(folder, 'scan0001.pdf'), early);
    for (const ignored of ['.hidden.pdf', 'scan0009.pdf.tmp', 'scan0010.pdf.part', '~scan.pdf']) writeFileSync(join(folder, ignored), pdf(ignored));
    mkdirSync(join(folder, 'other'));
    writeFileSync(join(folder, 'other', 'nested.pdf'), pdf('nested'));
    symlinkSync(join(folder, 'other', 'nested.pdf'), join(folder, 'link.pdf'));
    // No periodic listing during the test: the file written later is found by the file-system events.
    const watcher = start({ settleMs: 400 }, undefined, 60_000);

    await until('the file found at start is sent', () => existsSync(join(folder, 'done', 'scan0001.pdf')));
    // A scanner writing slowly: parts 250 ms apart, several looks at the folder (every 100 ms) but
    // under the settle time (400 ms), so only the whole file is sent.
    const slow = pdf('second stack, written in parts ' + 'x'.repeat(5000));
    writeFileSync(join(folder, 'scan0002.pdf'), slow.subarray(0, 2000));
    for (const [from, to] of [
      [2000, 4000],
      [4000, slow.length],
    ]) {
      await new Promise((r) => setTimeout(r, 250));
      appendFileSync(join(folder, 'scan0002.pdf'), slow.subarray(from, to));
    }
    await until('the slow file is sent', () => existsSync(join(folder, 'done', 'scan0002.pdf')));
    await watcher.stop();

    expect(calls.map((c) => ({ key: c.key, fields: c.fields, filename: c.filename, authorization: c.authorization, status: c.status }))).toEqual([
      { key: sha256(early), fields: ['file'], filename: 'scan0001.pdf', authorization: 'Bearer token-1', status: 202 },
      { key: sha256(slow), fields: ['file'], filename: 'scan0002.pdf', authorization: 'Bearer token-1', status: 202 },
    ]);
    expect(calls[1].bytes.equals(slow)).toBe(true);
    expect(listing()).toEqual(['.hidden.pdf', '.medrec-watch', 'done', 'link.pdf', 'other', 'refused', 'scan0009.pdf.tmp', 'scan0010.pdf.part', '~scan.pdf']);
    expect(listing('done')).toEqual(['scan0001.pdf', 'scan0002.pdf']);
    expect(listing('refused')).toEqual([]);
    expect(watcher.io.out()).toContain('sent: scan0001.pdf → stack stack-1 (done/scan0001.pdf)');
    expect(watcher.io.out()).toMatch(/stopped\n$/);
  });

  it('with --poll-ms, finds new files by polling the folder', async () => {
    const watcher = start({ pollMs: 100 }, undefined, 60_000);
    await until('the watcher runs', () => watcher.io.out().includes('watching'));
    writeFileSync(join(folder, 'polled.pdf'), pdf('found by polling'));
    await until('the file is sent', () => existsSync(join(folder, 'done', 'polled.pdf')));
    await watcher.stop();
    expect(calls.map((c) => c.filename)).toEqual(['polled.pdf']);
  });

  it('moves a refused file to refused/ with the reason, and keeps a file in place while the server is unavailable', async () => {
    writeFileSync(join(folder, 'garbage.pdf'), 'this is not a PDF');
    const good = pdf('arrives while the server is down');
    writeFileSync(join(folder, 'scan0003.pdf'), good);
    let unavailable = true;
    script = (call, res) => {
      if (!unavailable || call.bytes.toString().startsWith('this')) return false;
      problem(res, 503, { detail: 'Service unavailable' });
      return true;
    };
    const watcher = start();

    await until('the garbage is refused', () => existsSync(join(folder, 'refused', 'garbage.pdf')));
    await until('the good file has been tried several times', () => calls.filter((c) => c.status === 503).length >= 8);
    expect(listing()).toContain('scan0003.pdf');
    expect(listing('refused')).toEqual(['garbage.pdf', 'garbage.pdf.reason.txt']);
    expect(watcher.io.out()).toMatch(/waiting scan0003\.pdf: 503 Service unavailable; trying again in \d+ s \(the file stays in the folder\)/);

    unavailable = false;
    await until('the good file is sent once the server is back', () => existsSync(join(folder, 'done', 'scan0003.pdf')));
    await watcher.stop();
    const reason = readFileSync(join(folder, 'refused', 'garbage.pdf.reason.txt'), 'utf8');
    expect(reason).toContain('file: garbage.pdf\n');
    expect(reason).toContain('by: the server, HTTP 415\n');
    expect(reason).toContain('reason: unsupported-type\n');
    expect(reason).toContain('detail: Not a PDF or TIFF\n');
    expect(reason).not.toContain('this is not a PDF');
    expect([...stacks.keys()]).toEqual([sha256(good)]);
  });

  it('after a stop during a send, resends with the same key on restart and takes the existing stack (200) as sent', async () => {
    const stack = pdf('interrupted stack');
    writeFileSync(join(folder, 'scan0004.pdf'), stack);
    // The server stores the stack but its answer never arrives before the watcher is stopped.
    let hang = true;
    script = (call) => {
      if (!hang) return false;
      stacks.set(call.key!, 'stack-kept');
      return true;
    };
    const first = start();
    await until('the send is under way', () => calls.length === 1);
    await first.stop();
    expect(first.io.out()).toMatch(/stopped\n$/);
    expect(listing()).toContain('scan0004.pdf');
    const journal = readFileSync(join(folder, '.medrec-watch', 'journal.jsonl'), 'utf8')
      .trim()
      .split('\n');
    expect(journal.map((line) => JSON.parse(line))).toEqual([
      { op: 'sending', key: `stack:${sha256(stack)}`, sha256: sha256(stack), name: 'scan0004.pdf', at: expect.any(String) },
    ]);

    hang = false;
    const second = start();
    await until('the file is moved', () => existsSync(join(folder, 'done', 'scan0004.pdf')));
    await second.stop();
    expect(second.io.out()).toContain('resuming scan0004.pdf: its send was interrupted');
    expect(second.io.out()).toContain('already on the server: scan0004.pdf → stack stack-kept');
    expect(calls.map((c) => [c.key, c.status])).toEqual([
      [sha256(stack), 0],
      [sha256(stack), 200],
    ]);
    expect(stacks.size).toBe(1);
    // The journal was compacted on the second start and finished: nothing is left unfinished.
    const entries = readFileSync(join(folder, '.medrec-watch', 'journal.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line).op);
    expect(entries).toEqual(['sending', 'sending', 'sent', 'moved']);
  });

  it('moves a file the journal says was sent without sending it again (stopped between the answer and the move)', async () => {
    const stack = pdf('sent before the crash');
    writeFileSync(join(folder, 'scan0005.pdf'), stack);
    mkdirSync(join(folder, '.medrec-watch'));
    const key = `stack:${sha256(stack)}`;
    writeFileSync(
      join(folder, '.medrec-watch', 'journal.jsonl'),
      [
        { op: 'sending', key, sha256: sha256(stack), name: 'scan0005.pdf', at: '2026-01-01T00:00:00.000Z' },
        { op: 'sent', key, sha256: sha256(stack), name: 'scan0005.pdf', at: '2026-01-01T00:00:01.000Z', id: 'stack-77', existing: false },
      ]
        .map((e) => JSON.stringify(e))
        .join('\n') + '\n{"op":"moved","key":"sta', // a line torn by kill -9
    );
    // The password from a file, as a service's credential.
    const passwordFile = join(tmpdir(), `medrec-watch-password-${process.pid}`);
    writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
    const watcher = start({ passwordFile }, {});
    await until('signed in', () => watcher.io.out().includes('watching'));
    rmSync(passwordFile);
    await until('the file is moved', () => existsSync(join(folder, 'done', 'scan0005.pdf')));
    await watcher.stop();
    expect(calls).toEqual([]);
    expect(watcher.io.out()).toContain('sent: scan0005.pdf → stack stack-77 (done/scan0005.pdf)');
  });

  it('--no-split: refuses a file without a manifest row, or with an invalid one, without sending anything', async () => {
    const manifest = join(tmpdir(), `medrec-watch-manifest-${process.pid}.csv`);
    writeFileSync(
      manifest,
      [
        'file,mrn,patientName,dateOfBirth,documentType,title',
        'bad-row.pdf,MRN-0001,Ada Example,2999-01-01,lab-report,CBC',
        'twice.pdf,MRN-0001,Ada Example,1970-01-01,lab-report,CBC',
        'twice.pdf,MRN-0002,Bo Example,1970-01-01,lab-report,CBC',
      ].join('\n'),
    );
    for (const name of ['no-row.pdf', 'bad-row.pdf', 'twice.pdf']) writeFileSync(join(folder, name), pdf(name));
    try {
      const watcher = start({ split: false, manifest });
      await until('all three are refused', () => existsSync(join(folder, 'refused')) && listing('refused').length === 6);
      await watcher.stop();
    } finally {
      rmSync(manifest);
    }
    expect(calls).toEqual([]);
    const reason = (name: string) => readFileSync(join(folder, 'refused', `${name}.reason.txt`), 'utf8');
    expect(reason('no-row.pdf')).toContain(
      'by: the manifest (nothing was sent)\nreason: no-manifest-row\ndetail: The manifest has no row for this file name\n',
    );
    expect(reason('bad-row.pdf')).toContain('reason: invalid-manifest-row\ndetail: Manifest row 1 is invalid: dateOfBirth');
    expect(reason('twice.pdf')).toContain('detail: The manifest has several rows for this file name (rows 2, 3)\n');
    for (const name of ['no-row.pdf', 'bad-row.pdf', 'twice.pdf']) expect(reason(name)).not.toMatch(/Ada|Bo Example|MRN-000/);
  });

  it('refuses to start beside another running watcher, and a stack server that lacks the route stops it with a hint', async () => {
    const first = start();
    await until('the first watcher runs', () => first.io.out().includes('watching'));
    const second = start();
    await expect(second.done).rejects.toThrow(/Another watcher \(process \d+\) is watching this folder/);
    await first.stop();

    writeFileSync(join(folder, 'scan0006.pdf'), pdf('to a server without stacks'));
    script = (_call, res) => {
      problem(res, 404, { detail: 'Not found' });
      return true;
    };
    const third = start();
    await expect(third.done).rejects.toThrow(/has no \/api\/stacks \(404\): check --server, or send single uploads \(--no-split --manifest\)/);
    expect(listing()).toContain('scan0006.pdf');
    expect(existsSync(join(folder, '.medrec-watch', 'lock'))).toBe(false);
  });
});
