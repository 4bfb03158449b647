/**
 * Tasks added one by one as work is found (a stack's documents as it is scanned), at most `limit`
 * running at once, in the order added. After a failure no further task is started; the first
 * failure is kept for throwIfFailed, and settled() waits for the tasks under way (nothing keeps
 * running behind the caller's back).
 */
export class BoundedTasks {
  private readonly waiting: Array<() => Promise<unknown>> = [];
  private running = 0;
  private failure: { error: unknown } | undefined;
  private idle: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  add(task: () => Promise<unknown>): void {
    if (this.failure) return;
    this.waiting.push(task);
    this.pump();
  }

  /** Throws the first failure of a task, if any. */
  throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }

  /** Resolves once every task added has ended (or will never start after a failure). */
  settled(): Promise<void> {
    if (this.running === 0 && (this.waiting.length === 0 || this.failure)) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private pump(): void {
    while (!this.failure && this.running < this.limit && this.waiting.length > 0) {
      const task = this.waiting.shift()!;
      this.running++;
      void task()
        .catch((error: unknown) => {
          this.failure ??= { error };
        })
        .finally(() => {
          this.running--;
          this.pump();
          if (this.running === 0 && (this.waiting.length === 0 || this.failure)) {
            const idle = this.idle;
            this.idle = [];
            idle.forEach((resolve) => resolve());
          }
        });
    }
  }
}
