import { GENESIS } from '@medrec/crypto';
import { AppendResult, EventStore, StoredEvent, WrongExpectedRevisionError } from '@medrec/event-store';
import type { CommandContext } from './command-context';
import type { DomainEvent } from './decider';
import { chainEvents, hashOf } from './event-sourced-runner';

interface Tail {
  revision: number | null;
  hash: string;
}

interface PendingAppend {
  events: DomainEvent[];
  context: CommandContext;
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
}

interface StreamQueue {
  pending: PendingAppend[];
  flushing: boolean;
  tail?: Tail;
}

const MAX_ATTEMPTS = 8;
/** Tails of the most recently used streams; older ones are reloaded on demand. */
const MAX_CACHED_STREAMS = 10_000;

/**
 * Appends facts that do not depend on the stream's own state (accesses) to hash-chained streams,
 * many at once. Appends to one stream that arrive while an earlier batch is being written are
 * coalesced into the next batch: one atomic append of all their events, each chained onto the one
 * before. A batch is written whole or not at all, so no event is ever committed chained onto one
 * that was not; and different streams' batches share the store's group commit. A stale tail
 * (another process wrote) is reloaded and the batch re-chained and retried: safe, because these
 * events are decided without reading the stream. Only for events without PHI.
 */
export class PipelinedAppender {
  private readonly queues = new Map<string, StreamQueue>();

  constructor(private readonly store: EventStore) {}

  /** Resolves when the events are durably appended; the result's position is that of the batch's last event. */
  append(stream: string, events: DomainEvent[], context: CommandContext): Promise<AppendResult> {
    return new Promise<AppendResult>((resolve, reject) => {
      const queue = this.queue(stream);
      queue.pending.push({ events, context, resolve, reject });
      if (!queue.flushing) void this.flush(stream, queue);
    });
  }

  private queue(stream: string): StreamQueue {
    let queue = this.queues.get(stream);
    if (queue) {
      // Most recently used last, so the oldest idle queue is the first key.
      this.queues.delete(stream);
    } else {
      queue = { pending: [], flushing: false };
      this.evictIdle();
    }
    this.queues.set(stream, queue);
    return queue;
  }

  private evictIdle(): void {
    if (this.queues.size < MAX_CACHED_STREAMS) return;
    for (const [stream, queue] of this.queues) {
      if (!queue.flushing && queue.pending.length === 0) {
        this.queues.delete(stream);
        return;
      }
    }
  }

  private async flush(stream: string, queue: StreamQueue): Promise<void> {
    queue.flushing = true;
    try {
      while (queue.pending.length > 0) {
        const batch = queue.pending.splice(0);
        try {
          const result = await this.appendBatch(stream, queue, batch);
          // Each caller learns its own last revision; the position is the batch's (never below the caller's own).
          let revision = result.nextRevision - batch.reduce((n, item) => n + item.events.length, 0);
          for (const item of batch) {
            revision += item.events.length;
            item.resolve({ nextRevision: revision, position: result.position });
          }
        } catch (error) {
          for (const item of batch) item.reject(error);
        }
      }
    } finally {
      queue.flushing = false;
    }
  }

  private async appendBatch(stream: string, queue: StreamQueue, batch: PendingAppend[]): Promise<AppendResult> {
    for (let attempt = 1; ; attempt++) {
      const tail = queue.tail ?? (await this.loadTail(stream));
      let prevHash = tail.hash;
      const prepared = batch.flatMap((item) => {
        const chained = chainEvents(item.events, item.context, prevHash);
        prevHash = chained[chained.length - 1].metadata.hash as string;
        return chained;
      });
      try {
        const result = await this.store.append(stream, prepared, tail.revision ?? 'no_stream');
        queue.tail = { revision: result.nextRevision, hash: prevHash };
        return result;
      } catch (error) {
        queue.tail = undefined;
        if (!(error instanceof WrongExpectedRevisionError) || attempt >= MAX_ATTEMPTS) throw error;
      }
    }
  }

  private async loadTail(stream: string): Promise<Tail> {
    const [last]: StoredEvent[] = await this.store.readStream(stream, { direction: 'backwards', maxCount: 1 });
    return { revision: last ? last.revision : null, hash: last ? hashOf(last) : GENESIS };
  }
}
