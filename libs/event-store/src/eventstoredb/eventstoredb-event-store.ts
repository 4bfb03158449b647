/**
 * The event store port on EventStoreDB (gRPC, @eventstore/db-client v6).
 *
 * Positions are EventStoreDB commit positions: byte offsets into its log, totally ordered but
 * NOT gap-free (consecutive events are hundreds of bytes apart). System events (types or
 * streams starting with '$': stream metadata, tombstones, the server's own streams) never
 * leave this adapter.
 */
import {
  AllStreamResolvedEvent,
  AppendExpectedRevision,
  BACKWARDS,
  END,
  EventStoreDBClient,
  excludeSystemEvents,
  FORWARDS,
  Position,
  ResolvedEvent,
  START,
  STREAM_EXISTS,
} from '@eventstore/db-client';
import {
  AppendResult,
  EventHandler,
  EventStore,
  ExpectedRevision,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  StoredEvent,
  Subscription,
  SubscribeAllOptions,
  WrongExpectedRevisionError,
} from '../event-store.port';
import { AllSubscription } from './all-subscription';
import {
  isInvalidPosition,
  isStreamGone,
  isSystemEvent,
  optionalCount,
  toClientRevision,
  toEventData,
  toPortError,
  toPosition,
  toStoredEvent,
} from './esdb-mapping';

/** Events per $all read request when paging past system events. */
const ALL_PAGE_SIZE = 500;
/** Events in the first backwards page when looking for the newest non-system event. */
const HEAD_FIRST_PAGE_SIZE = 16;

type AllFrom = Position | typeof START | typeof END;
type ClientDeleteRevision = Exclude<AppendExpectedRevision, typeof STREAM_EXISTS>;

export class EventStoreDbEventStore implements EventStore {
  private readonly client: EventStoreDBClient;
  private readonly subscriptions = new Set<AllSubscription>();

  /** @param connection an `esdb://` connection string, or a client this store then owns. */
  constructor(connection: string | EventStoreDBClient) {
    this.client = typeof connection === 'string' ? EventStoreDBClient.connectionString(connection) : connection;
  }

  async append(stream: string, events: NewEvent[], expectedRevision: ExpectedRevision): Promise<AppendResult> {
    if (!Array.isArray(events) || events.length === 0) throw new TypeError('append needs at least one event');
    const expected = toClientRevision(expectedRevision);
    let result;
    try {
      result = await this.client.appendToStream(stream, events.map(toEventData), { expectedRevision: expected });
    } catch (error) {
      throw toPortError(error, stream, expectedRevision);
    }
    const nextRevision = Number(result.nextExpectedRevision);
    // An idempotent retry may be answered without a position: take it from the event itself.
    const position = result.position
      ? Number(result.position.commit)
      : (await this.readStream(stream, { fromRevision: nextRevision, direction: 'backwards', maxCount: 1 }))[0]?.position;
    if (position === undefined) throw new Error(`EventStoreDB returned no position for the append to ${stream}`);
    return { nextRevision, position };
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<StoredEvent[]> {
    const backwards = options.direction === 'backwards';
    const maxCount = optionalCount(options.maxCount, 'maxCount');
    if (options.fromRevision !== undefined) optionalCount(options.fromRevision, 'fromRevision');
    if (maxCount === 0) return [];
    const read = this.client.readStream(stream, {
      direction: backwards ? BACKWARDS : FORWARDS,
      fromRevision: options.fromRevision !== undefined ? BigInt(options.fromRevision) : backwards ? END : START,
      maxCount,
    });
    const events: StoredEvent[] = [];
    try {
      for await (const resolved of read as AsyncIterable<ResolvedEvent>) {
        if (resolved.event) events.push(toStoredEvent(resolved.event));
      }
    } catch (error) {
      if (isStreamGone(error)) return [];
      throw error;
    }
    return events;
  }

  async readAll(options: ReadAllOptions = {}): Promise<StoredEvent[]> {
    const after = optionalCount(options.fromPosition, 'fromPosition', 0);
    const maxCount = optionalCount(options.maxCount, 'maxCount');
    const events: StoredEvent[] = [];
    if (maxCount === 0) return events;
    let from: AllFrom = after > 0 ? toPosition(after) : START;
    let lastSeen = after;
    let fellBack = false;
    for (;;) {
      let page: AllStreamResolvedEvent[];
      try {
        page = await this.readAllPage(from, FORWARDS, ALL_PAGE_SIZE);
      } catch (error) {
        if (from === START || fellBack || !isInvalidPosition(error)) throw error;
        from = await this.boundaryAtOrBefore(after);
        fellBack = true;
        continue;
      }
      for (const { event } of page) {
        if (!event) continue;
        const position = Number(event.position.commit);
        // A read from a position includes the event there: skip it, and all up to fromPosition.
        if (position <= lastSeen) continue;
        lastSeen = position;
        if (isSystemEvent(event)) continue;
        events.push(toStoredEvent(event));
        if (events.length >= maxCount) return events;
      }
      if (page.length < ALL_PAGE_SIZE) return events;
      from = toPosition(lastSeen);
    }
  }

  subscribeAll(handler: EventHandler, options: SubscribeAllOptions = {}): Subscription {
    const subscription: AllSubscription = new AllSubscription(
      {
        startFor: (position) => this.subscriptionStart(position),
        open: (from) => this.client.subscribeToAll({ fromPosition: from, filter: excludeSystemEvents() }),
      },
      handler,
      options.fromPosition ?? 0,
      () => this.subscriptions.delete(subscription),
    );
    this.subscriptions.add(subscription);
    return subscription;
  }

  async streamRevision(stream: string): Promise<number | null> {
    const [last] = await this.readStream(stream, { direction: 'backwards', maxCount: 1 });
    return last ? last.revision : null;
  }

  async deleteStream(stream: string, expectedRevision: ExpectedRevision = 'any'): Promise<void> {
    // The client's deleteStream cannot send 'stream_exists': check it against the current revision.
    let expected = expectedRevision;
    if (expected === 'stream_exists') {
      const current = await this.streamRevision(stream);
      if (current === null) throw new WrongExpectedRevisionError(stream, 'stream_exists', 'no_stream');
      expected = current;
    }
    try {
      await this.client.deleteStream(stream, { expectedRevision: toClientRevision(expected) as ClientDeleteRevision });
    } catch (error) {
      throw toPortError(error, stream, expectedRevision);
    }
  }

  async tombstoneStream(stream: string, expectedRevision: ExpectedRevision = 'any'): Promise<void> {
    try {
      // The client's types omit 'stream_exists' here, but it sends it.
      const revision = toClientRevision(expectedRevision) as ClientDeleteRevision;
      await this.client.tombstoneStream(stream, { expectedRevision: revision });
    } catch (error) {
      throw toPortError(error, stream, expectedRevision);
    }
  }

  async headPosition(): Promise<number> {
    let from: AllFrom = END;
    // The server may have written many system events (e.g. statistics) since the last of ours.
    for (let pageSize = HEAD_FIRST_PAGE_SIZE; ; pageSize = Math.min(pageSize * 4, ALL_PAGE_SIZE)) {
      const page = await this.readAllPage(from, BACKWARDS, pageSize);
      for (const { event } of page) {
        if (event && !isSystemEvent(event)) return Number(event.position.commit);
      }
      const last = page[page.length - 1]?.event;
      if (page.length < pageSize || !last) return 0;
      // Reading backwards from an event's position starts with the event before it.
      from = last.position;
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
    await this.client.dispose();
  }

  private async readAllPage(from: AllFrom, direction: typeof FORWARDS | typeof BACKWARDS, maxCount: number) {
    const events: AllStreamResolvedEvent[] = [];
    for await (const resolved of this.client.readAll({ fromPosition: from, direction, maxCount }) as AsyncIterable<AllStreamResolvedEvent>) {
      events.push(resolved);
    }
    return events;
  }

  /**
   * Subscribing from a position that is not an event's fails on the server in ways that differ
   * between versions; a one-event read tells reliably whether the position is usable.
   */
  private async subscriptionStart(position: number): Promise<Position | typeof START> {
    if (position <= 0) return START;
    try {
      await this.readAllPage(toPosition(position), FORWARDS, 1);
      return toPosition(position);
    } catch (error) {
      if (!isInvalidPosition(error)) throw error;
      return this.boundaryAtOrBefore(position);
    }
  }

  /**
   * The position of the last event at or before `position`, or START: for a position the server
   * rejects because it is not an event's. Scans $all from the start, so it costs a full read;
   * positions handed out by this store (events, appends, headPosition) never need it.
   */
  private async boundaryAtOrBefore(position: number): Promise<Position | typeof START> {
    let boundary: Position | typeof START = START;
    let from: Position | typeof START = START;
    for (;;) {
      const page = await this.readAllPage(from, FORWARDS, ALL_PAGE_SIZE);
      for (const { event } of page) {
        if (!event) continue;
        if (event.position.commit > BigInt(position)) return boundary;
        boundary = event.position;
      }
      if (page.length < ALL_PAGE_SIZE) return boundary;
      // A full page ends at or before `position`; the next page starts with that event again.
      from = boundary;
    }
  }
}
