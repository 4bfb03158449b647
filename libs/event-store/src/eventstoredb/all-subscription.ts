/** The port's catch-up-then-live subscription over the client's subscribeToAll. */
import { AllStreamSubscription, Position, START } from '@eventstore/db-client';
import { EventHandler, Subscription } from '../event-store.port';
import { isSystemEvent, toStoredEvent } from './esdb-mapping';

export interface AllSubscriptionSource {
  /** Where a subscription exclusive of `fromPosition` starts: a position the server accepts. */
  startFor(fromPosition: number): Promise<Position | typeof START>;
  /** Opens the server subscription, exclusive of `from`. */
  open(from: Position | typeof START): AllStreamSubscription;
}

/** Carries a handler's own error out of the subscription loop, apart from the source's errors. */
class HandlerFailure extends Error {
  constructor(readonly error: unknown) {
    super('The subscription handler failed');
  }
}

export class AllSubscription implements Subscription {
  readonly done: Promise<void>;
  private source: AllStreamSubscription | undefined;
  private stopping = false;

  constructor(
    private readonly server: AllSubscriptionSource,
    private readonly handler: EventHandler,
    private readonly fromPosition: number,
    onStopped: () => void,
  ) {
    this.done = this.run().finally(onStopped);
    // done is the caller's to observe; an unobserved failure must not crash the process.
    this.done.catch(() => undefined);
  }

  async close(): Promise<void> {
    this.stopping = true;
    await this.stopSource();
    await this.done.catch(() => undefined);
  }

  private async run(): Promise<void> {
    try {
      await this.consume(await this.server.startFor(this.fromPosition));
    } catch (error) {
      if (error instanceof HandlerFailure) throw error.error;
      if (!this.stopping) throw error;
    } finally {
      await this.stopSource();
    }
  }

  private async consume(from: Position | typeof START): Promise<void> {
    if (this.stopping) return;
    const source = this.server.open(from);
    this.source = source;
    for await (const resolved of source) {
      if (this.stopping) return;
      const recorded = resolved.event;
      if (!recorded || isSystemEvent(recorded)) continue;
      const event = toStoredEvent(recorded);
      // The start may be before fromPosition when fromPosition is not an event's position.
      if (event.position <= this.fromPosition) continue;
      try {
        await this.handler(event);
      } catch (error) {
        throw new HandlerFailure(error);
      }
    }
    if (!this.stopping) throw new Error('EventStoreDB ended the $all subscription');
  }

  private async stopSource(): Promise<void> {
    const source = this.source;
    if (!source) return;
    this.source = undefined;
    await source.unsubscribe();
    // Cancelling the call does not end the piped stream; destroying it releases the iterator.
    source.destroy();
  }
}
