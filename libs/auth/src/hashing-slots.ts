/** Thrown when the hashing queue is full: answered 503 with Retry-After. */
export class HashingBusyError extends Error {
  readonly retryAfterSeconds = 1;
  constructor() {
    super('Too many sign-ins are being checked right now; try again in a moment');
    this.name = 'HashingBusyError';
  }
}

/**
 * Bounds how many password hashes (scrypt, ~100-200 ms of a libuv pool thread each) run at once,
 * so that sign-in floods leave the pool's other threads to file and crypto I/O; at most
 * `maxWaiting` more wait their turn, beyond that they are refused at once.
 */
export class HashingSlots {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    readonly concurrency: number,
    readonly maxWaiting: number,
  ) {
    if (!(concurrency >= 1)) throw new Error('concurrency must be at least 1');
  }

  /** Runs `work` in a slot; rejects with HashingBusyError, without running it, when the queue is full. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.maxWaiting) throw new HashingBusyError();
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await work();
    } finally {
      // Hand the slot straight to the next waiter (running stays the same), or free it.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }

  stats(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }
}

/** No bound (the CLI, tests): hashes run as they come. */
export const UNBOUNDED_HASHING = new HashingSlots(Number.MAX_SAFE_INTEGER, 0);
