import Database from '@medrec/sqlite';
import { makePrivateDatabaseFileSync } from '@medrec/crypto';
import {
  AppendResult,
  EventHandler,
  EventStore,
  ExpectedRevision,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  StoredEvent,
  SubscribeAllOptions,
  Subscription,
} from '../event-store.port';
import { AppendNotifier } from './append-notifier';
import { assertValidExpectedRevision, StreamState, visibleRevision } from './expected-revision';
import { GroupCommitQueue, GroupCommitStats, WriteQueue } from './group-commit';
import { applyPragmas, migrate } from './sqlite-schema';
import { PollingSubscription } from './sqlite-subscription';
import { uuidv7 } from './uuid-v7';
import { SerializedEvent, streamStateStatement, WriteOperation, WriteOperations } from './write-operations';
import { WriteThreadQueue } from './write-thread-client';

export interface SqliteEventStoreOptions {
  /** Database file; ':memory:' for tests (then only this instance sees it). */
  filename: string;
  /** How long a write waits for another process holding the lock. Default 5000 ms. */
  busyTimeoutMs?: number;
  /** How often a live subscription looks for appends made by other processes. Default 250 ms. */
  pollIntervalMs?: number;
  /** Events per read while a subscription catches up. Default 500. */
  subscriptionPageSize?: number;
  /** Most writes grouped into one transaction. Default 1000. */
  maxBatchSize?: number;
  /**
   * Writes (and their commit's fsync) run in a thread of their own, on a second connection, so
   * that this thread goes on serving while the disk syncs. Default: on, except for ':memory:'
   * (another connection cannot see that database).
   */
  writeThread?: boolean;
}

export interface SqliteEventStoreStats extends GroupCommitStats {
  /** Events written by this instance. */
  events: number;
}

interface EventRow {
  position: number;
  id: string;
  stream: string;
  revision: number;
  type: string;
  data: string;
  metadata: string;
  recorded_at: string;
}

const COLUMNS = 'position, id, stream, revision, type, data, metadata, recorded_at';
// The visible part of a stream starts at its truncate_before (0 unless deleted).
const READ_FORWARDS = `
  SELECT ${COLUMNS} FROM events
  WHERE stream = ?
    AND revision >= max(?, coalesce((SELECT truncate_before FROM streams WHERE name = ?), 0))
  ORDER BY revision ASC`;
const READ_BACKWARDS = `
  SELECT ${COLUMNS} FROM events
  WHERE stream = ? AND revision <= ?
    AND revision >= coalesce((SELECT truncate_before FROM streams WHERE name = ?), 0)
  ORDER BY revision DESC`;
const NO_LIMIT = -1;

function toStoredEvent(row: EventRow): StoredEvent {
  return {
    id: row.id,
    stream: row.stream,
    type: row.type,
    data: JSON.parse(row.data) as StoredEvent['data'],
    metadata: JSON.parse(row.metadata) as StoredEvent['metadata'],
    revision: row.revision,
    position: row.position,
    recordedAt: row.recorded_at,
  };
}

/** A row of COLUMNS in raw mode (an array, in that order): readAll builds no intermediate row objects. */
type RawEventRow = [position: number, id: string, stream: string, revision: number, type: string, data: string, metadata: string, recorded_at: string];

function rawToStoredEvent(row: RawEventRow): StoredEvent {
  return {
    id: row[1],
    stream: row[2],
    type: row[4],
    data: JSON.parse(row[5]) as StoredEvent['data'],
    metadata: JSON.parse(row[6]) as StoredEvent['metadata'],
    revision: row[3],
    position: row[0],
    recordedAt: row[7],
  };
}

function serialize(event: NewEvent): SerializedEvent {
  if (event === null || typeof event !== 'object') throw new TypeError('An event must be an object');
  if (typeof event.type !== 'string' || event.type.length === 0) throw new TypeError('An event needs a type');
  if (event.data === null || typeof event.data !== 'object') throw new TypeError('Event data must be an object');
  if (event.metadata === null || typeof event.metadata !== 'object') {
    throw new TypeError('Event metadata must be an object');
  }
  if (event.id !== undefined && (typeof event.id !== 'string' || event.id.length === 0)) {
    throw new TypeError('An event id must be a non-empty string');
  }
  return {
    id: event.id ?? uuidv7(),
    type: event.type,
    data: JSON.stringify(event.data),
    metadata: JSON.stringify(event.metadata),
  };
}

function assertStreamName(stream: unknown): asserts stream is string {
  if (typeof stream !== 'string' || stream.length === 0) throw new TypeError('A stream name must be a non-empty string');
}

function optionalCount(value: number | undefined, name: string): number {
  if (value === undefined) return NO_LIMIT;
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer`);
  return value;
}

/**
 * The embedded event store: one SQLite file in WAL mode. Appends are group-committed, in the
 * write thread (WriteThreadQueue) or, for ':memory:', on this connection (GroupCommitQueue);
 * several processes may write the same file, since every write takes the write lock (BEGIN
 * IMMEDIATE) and checks revisions inside its transaction.
 */
export class SqliteEventStore implements EventStore {
  private readonly db: Database.Database;
  private readonly writes: WriteQueue<WriteOperation>;
  private readonly streamState: (stream: string) => StreamState;
  private readonly notifier = new AppendNotifier();
  private readonly subscriptions = new Set<PollingSubscription>();
  private readonly pollIntervalMs: number;
  private readonly subscriptionPageSize: number;
  private eventsWritten = 0;
  private closing: Promise<void> | undefined;
  /**
   * Per stream, the last write of this instance not settled yet: a read of that stream waits for
   * it, so that it sees every write this process issued to the stream before the read (the write
   * thread commits while this thread goes on: without the wait, a command loading a record while
   * another's append to it is being committed would decide on the older state and conflict).
   */
  private readonly unsettledWrites = new Map<string, Promise<void>>();
  private acceptingWrites = true;

  private readonly statements: {
    readForwards: Database.Statement<[string, number, string, number], EventRow>;
    readBackwards: Database.Statement<[string, number, string, number], EventRow>;
    readForwardsWhole: Database.Statement<[string, number, string], EventRow>;
    readBackwardsWhole: Database.Statement<[string, number, string], EventRow>;
    readAll: Database.Statement<[number, number], RawEventRow>;
    headPosition: Database.Statement<[], number>;
  };

  constructor(options: SqliteEventStoreOptions) {
    this.pollIntervalMs = options.pollIntervalMs ?? 250;
    this.subscriptionPageSize = options.subscriptionPageSize ?? 500;
    makePrivateDatabaseFileSync(options.filename);
    this.db = new Database(options.filename);
    try {
      applyPragmas(this.db, { busyTimeoutMs: options.busyTimeoutMs ?? 5000 });
      migrate(this.db);
    } catch (error) {
      this.db.close();
      throw error;
    }

    const db = this.db;
    this.statements = {
      // The visible part of a stream starts at its truncate_before (0 unless deleted).
      readForwards: db.prepare(`${READ_FORWARDS} LIMIT ?`),
      readBackwards: db.prepare(`${READ_BACKWARDS} LIMIT ?`),
      // Without LIMIT when no count is asked (a record's load): a bound LIMIT costs a read ~15 µs more.
      readForwardsWhole: db.prepare(READ_FORWARDS),
      readBackwardsWhole: db.prepare(READ_BACKWARDS),
      readAll: db.prepare<[number, number], RawEventRow>(`SELECT ${COLUMNS} FROM events WHERE position > ? ORDER BY position ASC LIMIT ?`).raw(),
      headPosition: db.prepare<[], number>('SELECT coalesce(max(position), 0) FROM events').pluck(),
    };

    this.streamState = streamStateStatement(db);

    const maxBatchSize = options.maxBatchSize ?? 1000;
    const onCommit = (writes: WriteOperation[]) => {
      let events = 0;
      for (const write of writes) if (write.kind === 'append') events += write.events.length;
      this.eventsWritten += events;
      if (events > 0) this.notifier.notify();
    };
    if (options.writeThread ?? !db.memory) {
      this.writes = new WriteThreadQueue({ filename: options.filename, busyTimeoutMs: options.busyTimeoutMs ?? 5000, maxBatchSize, onCommit });
    } else {
      const operations = new WriteOperations(db);
      this.writes = new GroupCommitQueue<WriteOperation>(db, { maxBatchSize, run: (write) => operations.run(write).result, onCommit });
    }
  }

  append(stream: string, events: NewEvent[], expectedRevision: ExpectedRevision): Promise<AppendResult> {
    let serialized: SerializedEvent[];
    try {
      this.assertWritable();
      assertStreamName(stream);
      assertValidExpectedRevision(expectedRevision);
      if (!Array.isArray(events) || events.length === 0) throw new TypeError('append needs at least one event');
      serialized = events.map(serialize);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    return this.track(stream, this.writes.enqueue({ kind: 'append', stream, events: serialized, expected: expectedRevision }) as Promise<AppendResult>);
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<StoredEvent[]> {
    this.assertOpen();
    assertStreamName(stream);
    await this.writesSettled(stream);
    const limit = optionalCount(options.maxCount, 'maxCount');
    const from = options.fromRevision;
    if (from !== undefined && (!Number.isSafeInteger(from) || from < 0)) {
      throw new RangeError('fromRevision must be a non-negative integer');
    }
    const backwards = options.direction === 'backwards';
    const start = from ?? (backwards ? Number.MAX_SAFE_INTEGER : 0);
    const rows =
      limit === NO_LIMIT
        ? (backwards ? this.statements.readBackwardsWhole : this.statements.readForwardsWhole).all(stream, start, stream)
        : (backwards ? this.statements.readBackwards : this.statements.readForwards).all(stream, start, stream, limit);
    return rows.map(toStoredEvent);
  }

  async readAll(options: ReadAllOptions = {}): Promise<StoredEvent[]> {
    this.assertOpen();
    return this.readAllSync(options.fromPosition ?? 0, optionalCount(options.maxCount, 'maxCount'));
  }

  subscribeAll(handler: EventHandler, options: SubscribeAllOptions = {}): Subscription {
    this.assertOpen();
    const subscription: PollingSubscription = new PollingSubscription(handler, {
      fromPosition: options.fromPosition ?? 0,
      pageSize: this.subscriptionPageSize,
      pollIntervalMs: this.pollIntervalMs,
      readPage: (after, limit) => {
        this.assertOpen();
        return this.readAllSync(after, limit);
      },
      notifier: this.notifier,
      onStop: () => this.subscriptions.delete(subscription),
    });
    this.subscriptions.add(subscription);
    return subscription;
  }

  async streamRevision(stream: string): Promise<number | null> {
    this.assertOpen();
    assertStreamName(stream);
    await this.writesSettled(stream);
    return visibleRevision(this.streamState(stream));
  }

  deleteStream(stream: string, expectedRevision: ExpectedRevision = 'any'): Promise<void> {
    return this.enqueueDelete(stream, expectedRevision, false);
  }

  tombstoneStream(stream: string, expectedRevision: ExpectedRevision = 'any'): Promise<void> {
    return this.enqueueDelete(stream, expectedRevision, true);
  }

  async headPosition(): Promise<number> {
    this.assertOpen();
    return this.statements.headPosition.get() ?? 0;
  }

  /** Counters of this instance, to observe group commit. */
  stats(): SqliteEventStoreStats {
    return { ...this.writes.stats(), events: this.eventsWritten };
  }

  /** Stops the subscriptions, commits the writes already queued, closes the file. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all([...this.subscriptions].map((s) => s.close()));
      this.acceptingWrites = false;
      await this.writes.close();
      this.db.close();
    })();
    return this.closing;
  }

  private enqueueDelete(stream: string, expected: ExpectedRevision, tombstone: boolean): Promise<void> {
    try {
      this.assertWritable();
      assertStreamName(stream);
      assertValidExpectedRevision(expected);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    return this.track(
      stream,
      this.writes.enqueue({ kind: 'delete', stream, expected, tombstone }).then(() => undefined),
    );
  }

  private readAllSync(after: number, limit: number): StoredEvent[] {
    if (!Number.isSafeInteger(after) || after < 0) throw new RangeError('fromPosition must be a non-negative integer');
    const rows = this.statements.readAll.all(after, limit);
    const events = new Array<StoredEvent>(rows.length);
    for (let i = 0; i < rows.length; i++) events[i] = rawToStoredEvent(rows[i]);
    return events;
  }

  private async writesSettled(stream: string): Promise<void> {
    const unsettled = this.unsettledWrites.get(stream);
    if (!unsettled) return;
    await unsettled;
    this.assertOpen();
  }

  private track<T>(stream: string, write: Promise<T>): Promise<T> {
    const settled = write.then(
      () => undefined,
      () => undefined,
    );
    // Writes run in the order queued: once the last one to a stream has settled, so have the earlier ones.
    this.unsettledWrites.set(stream, settled);
    void settled.then(() => {
      if (this.unsettledWrites.get(stream) === settled) this.unsettledWrites.delete(stream);
    });
    return write;
  }

  private assertOpen(): void {
    if (!this.db.open) throw new Error('The event store is closed');
  }

  private assertWritable(): void {
    if (!this.acceptingWrites || !this.db.open) throw new Error('The event store is closed');
  }
}
