/**
 * How many image decodes (sharp/libvips) run at once in this process. sharp runs each operation
 * from a thread of libuv's pool (4 threads by default), which file reads, hashing and scrypt share:
 * four hostile uploads decoding at once held every thread, and another user's read of a stored
 * document waited 26 s behind them. With at most `size` decodes running, the other threads stay
 * free for everyone else; further decodes wait their turn, in order, and leave the queue when their
 * caller gives up (AbortSignal).
 */
export class DecodeSlots {
  private running = 0;
  private readonly waiting: Array<{ start: () => void }> = [];

  constructor(private size: number) {}

  /** Decodes running now. */
  get busy(): number {
    return this.running;
  }

  /** Decodes waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }

  resize(size: number): void {
    if (!Number.isInteger(size) || size < 1) throw new RangeError('Decode slots must be a positive integer');
    this.size = size;
    this.startWaiting();
  }

  /**
   * Runs `work` once a slot is free; the slot is held until `work` settles, whoever is still
   * waiting for its result. Rejects with `signal.reason` if the signal aborts before a slot is free.
   */
  async run<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    signal?.throwIfAborted();
    if (this.running >= this.size) await this.slot(signal);
    else this.running++;
    try {
      return await work();
    } finally {
      this.running--;
      this.startWaiting();
    }
  }

  private slot(signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const waiter = {
        start: () => {
          signal?.removeEventListener('abort', onAbort);
          this.running++;
          resolve();
        },
      };
      const onAbort = () => {
        const index = this.waiting.indexOf(waiter);
        if (index >= 0) this.waiting.splice(index, 1);
        reject(signal!.reason as Error);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  private startWaiting(): void {
    while (this.running < this.size && this.waiting.length > 0) this.waiting.shift()!.start();
  }
}

/** Default for MEDREC_DECODE_SLOTS: half of libuv's default pool of 4. */
export const DEFAULT_DECODE_SLOTS = 2;

/** The process's decode slots: inspection and rasterizing both take one for every decode. */
export const decodeSlots = new DecodeSlots(DEFAULT_DECODE_SLOTS);
