import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The repository root, from test/support or from its compiled copy in dist/test/support. */
const ROOT = resolve(__dirname, __dirname.includes(`${'/'}dist${'/'}`) ? '../../..' : '../..');
const ENTRY = join(ROOT, 'dist/apps/worker/src/main.js');

export interface WorkerProcess {
  child: ChildProcess;
  output(): string;
  /** SIGKILL: no shutdown hooks, the job in hand left claimed — as a power cut looks to the process. */
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

/** The built OCR worker (`npm run build`) as a separate process, as the compose file runs it; resolves once it has started. */
export async function startWorkerProcess(dataDir: string, env: Record<string, string> = {}): Promise<WorkerProcess> {
  if (!existsSync(ENTRY)) throw new Error(`${ENTRY} is missing: run "npm run build" first (npm test does)`);
  const child = spawn(process.execPath, [join(ROOT, 'scripts/run.js'), 'apps/worker/src/main'], {
    cwd: ROOT,
    env: { ...process.env, MEDREC_DATA_DIR: dataDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const deadline = Date.now() + 30_000;
  while (!output.includes('OCR worker started')) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`worker exited with ${child.exitCode ?? child.signalCode}:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`worker not started in 30 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    output: () => output,
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
