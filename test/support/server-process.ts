import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

/** The repository root, from test/support or from its compiled copy in dist/test/support. */
const ROOT = resolve(__dirname, __dirname.includes(`${'/'}dist${'/'}`) ? '../../..' : '../..');
const ENTRY = join(ROOT, 'dist/apps/api/src/main.js');

export interface ServerProcess {
  baseUrl: string;
  child: ChildProcess;
  output(): string;
  /** SIGKILL: no shutdown hooks, no flush — as a power cut looks to the process. */
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
    server.on('error', reject);
  });
}

/** The built server (`npm run build`) as a separate process, as `npm start` runs it. */
export async function startServerProcess(
  dataDir: string,
  env: Record<string, string> = {},
  nodeArgs: string[] = [],
  /** Called at once with the child, before it is ready (to kill it during start-up). */
  onSpawn?: (child: ChildProcess) => void,
): Promise<ServerProcess> {
  if (!existsSync(ENTRY)) throw new Error(`${ENTRY} is missing: run "npm run build" first (npm test does)`);
  const port = await freePort();
  const child = spawn(process.execPath, [...nodeArgs, join(ROOT, 'scripts/run.js'), 'apps/api/src/main'], {
    cwd: ROOT,
    env: { ...process.env, MEDREC_DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  onSpawn?.(child);
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`server exited with ${child.exitCode ?? child.signalCode}:\n${output}`);
    try {
      if ((await fetch(`${baseUrl}/health/ready`)).status === 200) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server not ready in 30 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    baseUrl,
    child,
    output: () => output,
    async kill9() {
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

export interface BuiltProcess {
  child: ChildProcess;
  /** stdout and stderr, interleaved as they arrived (the order between the two is not the order written). */
  output(): string;
  /** stdout alone. */
  stdout(): string;
  /** Resolves with the exit code (or the signal that ended it) and when it came. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

/** Another built entry point (`apps/worker/src/main`, `apps/api/src/main`...) as a process, not waited for. */
export function spawnBuilt(entry: string, env: Record<string, string>, args: string[] = []): BuiltProcess {
  if (!existsSync(join(ROOT, 'dist', `${entry}.js`))) throw new Error(`dist/${entry}.js is missing: run "npm run build" first (npm test does)`);
  const child = spawn(process.execPath, [join(ROOT, 'scripts/run.js'), entry, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let stdout = '';
  child.stdout.on('data', (d) => {
    output += d;
    stdout += d;
  });
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((r) =>
    child.once('exit', (code, signal) => r({ code, signal, at: Date.now() })),
  );
  return { child, output: () => output, stdout: () => stdout, exited };
}
