import type { ChildProcess } from 'node:child_process';
import { spawnBuilt } from './server-process';

export interface WorkerProcess {
  child: ChildProcess;
  output(): string;
  /** SIGKILL: no shutdown hooks, the job in hand left claimed — as a power cut looks to the process. */
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

/** The built OCR worker (`npm run build`) as a separate process, as the compose file runs it; resolves once it has started. */
export async function startWorkerProcess(dataDir: string, env: Record<string, string> = {}): Promise<WorkerProcess> {
  const built = spawnBuilt('apps/worker/src/main', { MEDREC_DATA_DIR: dataDir, ...env });
  const { child, exited } = built;
  const output = () => built.output();
  const deadline = Date.now() + 30_000;
  while (!output().includes('OCR worker started')) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`worker exited with ${child.exitCode ?? child.signalCode}:\n${output()}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`worker not started in 30 s:\n${output()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    output,
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
