import type { Decider, DomainEvent } from './decider';
import type { EventSourcedRunner, LoadedStream } from './event-sourced-runner';

/**
 * A stream's folded state, kept in memory and caught up (reading only the new events) at most
 * every `maxAgeMs`: per-request checks (is this user active? is this token revoked?) cost no read,
 * and a change made by another process is seen within `maxAgeMs`. Only for streams without PHI.
 */
export class StreamCache<Command, Event extends DomainEvent, State> {
  private loaded?: LoadedStream<State, Event>;
  private loadedAt = -Infinity;
  /** Bumped by invalidate(): a load that started before it does not count as fresh. */
  private generation = 0;
  private inflight?: { generation: number; promise: Promise<State> };

  constructor(
    private readonly eventSourced: EventSourcedRunner,
    private readonly stream: string,
    private readonly decider: Decider<Command, Event, State>,
    private readonly maxAgeMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The state, caught up if it is older than maxAgeMs (concurrent callers share one read). */
  async state(): Promise<State> {
    if (this.loaded && this.now() - this.loadedAt < this.maxAgeMs) return this.loaded.state;
    return this.catchUp();
  }

  /** The state as of now: always reads what was appended since the last load. */
  async fresh(): Promise<State> {
    this.invalidate();
    return this.catchUp();
  }

  /** After this process appended to the stream: the next state() reads the new events. */
  invalidate(): void {
    this.generation++;
    this.loadedAt = -Infinity;
  }

  private catchUp(): Promise<State> {
    const generation = this.generation;
    if (this.inflight?.generation === generation) return this.inflight.promise;
    const before = this.inflight?.promise.catch(() => undefined) ?? Promise.resolve();
    const promise = before
      .then(async () => {
        const startedAt = this.now();
        const loaded = await this.eventSourced.load(this.stream, null, this.decider, this.loaded);
        // Keep the folded state only: the events are not needed again.
        this.loaded = { ...loaded, events: [] };
        if (this.generation === generation) this.loadedAt = startedAt;
        return loaded.state;
      })
      .finally(() => {
        if (this.inflight?.promise === promise) this.inflight = undefined;
      });
    this.inflight = { generation, promise };
    return promise;
  }
}
