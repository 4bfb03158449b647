/** Wakes the subscriptions of this process when an append commits, so they need not wait for a poll. */
export class AppendNotifier {
  private waiters = new Set<() => void>();

  /** Calls `wake` once, at the next notify(); returns a function that cancels the wait. */
  once(wake: () => void): () => void {
    this.waiters.add(wake);
    return () => this.waiters.delete(wake);
  }

  notify(): void {
    if (this.waiters.size === 0) return;
    const waiters = this.waiters;
    this.waiters = new Set();
    for (const wake of waiters) wake();
  }
}
