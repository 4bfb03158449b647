import { setImmediate as nextTurn } from 'node:timers/promises';
import type { EventHandler, StoredEvent, Subscription } from '../event-store.port';
import type { AppendNotifier } from './append-notifier';

export interface PollingSubscriptionOptions {
  fromPosition: number;
  pageSize: number;
  pollIntervalMs: number;
  /** Events with position > after, in position order, at most `limit`. */
  readPage: (after: number, limit: number) => StoredEvent[];
  notifier: AppendNotifier;
  onStop: () => void;
}

/**
 * Catch-up then live: reads pages from the checkpoint until a read comes back empty, then waits
 * for an append of this process (notifier) or the poll interval (appends of other processes on
 * the same file). Positions only grow and commit in order, so tracking the last delivered
 * position delivers each event exactly once, in order.
 */
export class PollingSubscription implements Subscription {
  readonly done: Promise<void>;
  private closed = false;
  private wakeUp: (() => void) | undefined;

  constructor(
    private readonly handler: EventHandler,
    private readonly options: PollingSubscriptionOptions,
  ) {
    this.done = this.run().finally(() => options.onStop());
    // A handler error is reported through `done`; without this, a caller that never looks at
    // `done` would crash the process with an unhandled rejection.
    this.done.catch(() => undefined);
  }

  /** Stops delivery; waits for the handler in flight. Do not await it from inside the handler. */
  async close(): Promise<void> {
    this.closed = true;
    this.wakeUp?.();
    await this.done.catch(() => undefined);
  }

  private async run(): Promise<void> {
    // Never call the handler before subscribeAll() has returned.
    await Promise.resolve();
    let position = this.options.fromPosition;
    while (!this.closed) {
      const page = this.options.readPage(position, this.options.pageSize);
      if (page.length === 0) {
        await this.idle();
        continue;
      }
      for (const event of page) {
        if (this.closed) return;
        await this.handler(event);
        position = event.position;
      }
      // A synchronous handler only yields microtasks: let I/O in between pages of a long catch-up.
      await nextTurn();
    }
  }

  private idle(): Promise<void> {
    return new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        cancel();
        this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(wake, this.options.pollIntervalMs);
      const cancel = this.options.notifier.once(wake);
      this.wakeUp = wake;
    });
  }
}
