import { GENESIS } from '@medrec/crypto';
import { AppendResult, EventStore, StoredEvent, WrongExpectedRevisionError } from '@medrec/event-store';
import type { CommandContext } from './command-context';
import type { DomainEvent } from './decider';
import { chainEvents, hashOf } from './event-sourced-runner';

interface Tail {
  revision: number | null;
  hash: string;
}

const MAX_ATTEMPTS = 8;
/** Tails of the most recently used streams; older ones are reloaded on demand. */
const MAX_CACHED_TAILS = 10_000;

/**
 * Appends facts that do not depend on the stream's own state (accesses) to hash-chained streams,
 * many at once: each append is chained onto the previous one as soon as that one is issued, not
 * when it commits, so concurrent readers of one record share a group commit instead of queueing
 * behind each other's fsync. A stale tail (another process wrote) is reloaded and the append
 * retried; that is safe because these events are decided without reading the stream.
 * Only for events without PHI: chaining must be synchronous to keep the order.
 */
export class PipelinedAppender {
  private readonly tails = new Map<string, Tail>();
  private readonly loading = new Map<string, Promise<Tail>>();

  constructor(private readonly store: EventStore) {}

  async append(stream: string, events: DomainEvent[], context: CommandContext): Promise<AppendResult> {
    for (let attempt = 1; ; attempt++) {
      const tail = await this.tail(stream);
      const prepared = chainEvents(events, context, tail.hash);
      const expected = tail.revision ?? 'no_stream';
      const next: Tail = {
        revision: (tail.revision ?? -1) + prepared.length,
        hash: prepared[prepared.length - 1].metadata.hash as string,
      };
      this.remember(stream, next);
      try {
        return await this.store.append(stream, prepared, expected);
      } catch (error) {
        if (this.tails.get(stream) === next) this.tails.delete(stream);
        if (!(error instanceof WrongExpectedRevisionError) || attempt >= MAX_ATTEMPTS) throw error;
        // Let the appends we were chained onto settle before the tail is reloaded.
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
  }

  private async tail(stream: string): Promise<Tail> {
    const cached = this.tails.get(stream);
    if (cached) return cached;
    const pending = this.loading.get(stream) ?? this.load(stream);
    const loaded = await pending;
    // Another append may have been chained while we were loading; it holds the newer tail.
    const current = this.tails.get(stream);
    if (current) return current;
    this.remember(stream, loaded);
    return loaded;
  }

  private load(stream: string): Promise<Tail> {
    const pending = this.store
      .readStream(stream, { direction: 'backwards', maxCount: 1 })
      .then(([last]: StoredEvent[]): Tail => ({ revision: last ? last.revision : null, hash: last ? hashOf(last) : GENESIS }))
      .finally(() => this.loading.delete(stream));
    this.loading.set(stream, pending);
    return pending;
  }

  private remember(stream: string, tail: Tail): void {
    this.tails.delete(stream);
    this.tails.set(stream, tail);
    if (this.tails.size > MAX_CACHED_TAILS) this.tails.delete(this.tails.keys().next().value!);
  }
}
