import { AsyncLocalStorage } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';

/**
 * Where a long operation (a disposal batch's execution) spends its time, by stage: milliseconds
 * and calls per stage. Stages run concurrently (several records at once) add up their own
 * durations, so their sum may exceed the elapsed time.
 */
export class StageTimes {
  private readonly stages = new Map<string, { ms: number; calls: number }>();

  add(stage: string, ms: number): void {
    const entry = this.stages.get(stage) ?? { ms: 0, calls: 0 };
    entry.ms += ms;
    entry.calls++;
    this.stages.set(stage, entry);
  }

  toJSON(): Record<string, { ms: number; calls: number }> {
    return Object.fromEntries([...this.stages].map(([stage, { ms, calls }]) => [stage, { ms: Math.round(ms), calls }]));
  }
}

const current = new AsyncLocalStorage<StageTimes>();

/** Runs `fn` with `times` collecting what timed() measures inside it (across awaits). */
export function collectStageTimes<T>(times: StageTimes, fn: () => Promise<T>): Promise<T> {
  return current.run(times, fn);
}

/** Adds fn's duration to the stage of the StageTimes being collected, if any; otherwise just runs fn. */
export async function timed<T>(stage: string, fn: () => Promise<T>): Promise<T> {
  const times = current.getStore();
  if (!times) return fn();
  const started = performance.now();
  try {
    return await fn();
  } finally {
    times.add(stage, performance.now() - started);
  }
}
