import { IngestRefusal } from './ingest-refusal';

/**
 * The time an inspection (or a rasterizing) may take, and its caller's wish to stop: `signal`
 * aborts when the time is up (reason: IngestRefusal inspection-timeout) or when the caller's own
 * signal aborts (its reason, e.g. a client that hung up). Work checks `signal` between steps and
 * hands it to what it waits on; `race` answers as soon as it aborts, whatever is still running.
 * Always dispose() it.
 */
export class Deadline {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private readonly endsAt: number;
  private readonly onCallerAbort: () => void;
  private readonly aborted: Promise<never>;

  constructor(
    timeoutMs: number,
    private readonly caller?: AbortSignal,
  ) {
    this.endsAt = Date.now() + timeoutMs;
    const seconds = Math.max(1, Math.round(timeoutMs / 1000));
    this.timer = setTimeout(
      () => this.controller.abort(new IngestRefusal('inspection-timeout', `The file could not be inspected within the ${seconds} s allowed`)),
      timeoutMs,
    );
    this.timer.unref();
    this.onCallerAbort = () => this.controller.abort(caller!.reason);
    if (caller?.aborted) this.onCallerAbort();
    else caller?.addEventListener('abort', this.onCallerAbort, { once: true });
    this.aborted = new Promise<never>((_, reject) => {
      // An AbortSignal's reason is an Error (DOMException, or the one the deadline aborted with).
      if (this.signal.aborted) reject(this.signal.reason as Error);
      else this.signal.addEventListener('abort', () => reject(this.signal.reason as Error), { once: true });
    });
    this.aborted.catch(() => undefined);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  remainingMs(): number {
    return Math.max(0, this.endsAt - Date.now());
  }

  /** Settles as `work` does, or rejects with the abort reason as soon as the signal aborts (`work`'s outcome is then dropped). */
  race<T>(work: Promise<T>): Promise<T> {
    work.catch(() => undefined);
    return Promise.race([work, this.aborted]);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.caller?.removeEventListener('abort', this.onCallerAbort);
  }
}
