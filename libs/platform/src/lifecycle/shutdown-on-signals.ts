import { constants } from 'node:os';

/** Exit codes of a shutdown that did not end cleanly (README: Shutdown). */
export const SHUTDOWN_EXIT = {
  /** Every step done within the time allowed. */
  clean: 0,
  /** A step failed (its error type is logged). */
  failed: 1,
  /** MEDREC_SHUTDOWN_TIMEOUT_MS passed before the steps were done (as timeout(1) answers). */
  timedOut: 124,
} as const;

export interface ShutdownOptions {
  /** MEDREC_SHUTDOWN_TIMEOUT_MS. */
  timeoutMs: number;
  /** The shutdown's steps; `deadline` (epoch ms) is when the process exits whatever they are doing. */
  stop: (deadline: number) => Promise<void>;
  /** Last words at the deadline, before the exit (e.g. cutting the connections still open). */
  onTimeout?: () => void;
  log: (message: string) => void;
  signals?: NodeJS.Signals[];
  exit?: (code: number) => void;
}

/**
 * The first SIGTERM or SIGINT runs `stop` and exits 0 when it is done, 1 when it failed, 124 when
 * the deadline passed first. A second signal exits at once with 128 + its number (130, 143), as a
 * shell reports a process the signal killed.
 */
export function shutdownOnSignals(options: ShutdownOptions): void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      options.log(`${signal} again: exiting at once`);
      exit(128 + (constants.signals[signal] ?? 0));
      return;
    }
    stopping = true;
    const started = Date.now();
    options.log(`${signal}: shutting down (at most ${options.timeoutMs} ms)`);
    const timer = setTimeout(() => {
      options.log(`Shutdown not done after ${options.timeoutMs} ms (MEDREC_SHUTDOWN_TIMEOUT_MS): exiting with code ${SHUTDOWN_EXIT.timedOut}`);
      options.onTimeout?.();
      exit(SHUTDOWN_EXIT.timedOut);
    }, options.timeoutMs);
    options.stop(started + options.timeoutMs).then(
      () => {
        clearTimeout(timer);
        options.log(`Shut down cleanly in ${Date.now() - started} ms`);
        exit(SHUTDOWN_EXIT.clean);
      },
      (error: unknown) => {
        clearTimeout(timer);
        // The type only: a message may quote data.
        options.log(`Shutdown failed (${error instanceof Error ? error.name : typeof error}): exiting with code ${SHUTDOWN_EXIT.failed}`);
        exit(SHUTDOWN_EXIT.failed);
      },
    );
  };
  for (const signal of options.signals ?? (['SIGTERM', 'SIGINT'] as NodeJS.Signals[])) process.on(signal, onSignal);
}
