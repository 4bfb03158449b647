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
import { assertValidExpectedRevision, checkExpectedRevision, StreamState, visibleRevision } from './expected-revision';
import { GroupCommitQueue, GroupCommitStats } from './group-commit';
import { applyPragmas, migrate } from './sqlite-schema';
import { PollingSubscription } from './sqlite-subscription';
import { uuidv7 } from './uuid-v7';

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

interface StreamStateRow {
  last: number | null;
  truncate_before: number | null;
  tombstoned: number | null;
}

/** An event ready to be inserted: JSON serialized once, before it enters the write queue. */
interface SerializedEvent {
  id: string;
  type: string;
  data: string;
  metadata: string;
}

const COLUMNS = 'position, id, stream, revision, type, data, metadata, recorded_at';
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
 * The embedded event store: one SQLite file in WAL mode. Appends are group-committed (see
 * GroupCommitQueue); several processes may write the same file, since every write takes the
 * write lock (BEGIN IMMEDIATE) and checks revisions inside its transaction.
 */
export class SqliteEventStore implements EventStore {
  private readonly db: Database.Database;
  private readonly writes: GroupCommitQueue;
  private readonly notifier = new AppendNotifier();
  private readonly subscriptions = new Set<PollingSubscription>();
  private readonly pollIntervalMs: number;
  private readonly subscriptionPageSize: number;
  private eventsWritten = 0;
  private eventsInBatch = 0;
  private closing: Promise<void> | undefined;
  private acceptingWrites = true;

  private readonly statements: {
    streamState: Database.Statement<[string, string], StreamStateRow>;
    insert: Database.Statement<[string, string, number, string, string, string, string]>;
    markDeleted: Database.Statement<[string, number, number]>;
    readForwards: Database.Statement<[string, number, string, number], EventRow>;
    readBackwards: Database.Statement<[string, number, string, number], EventRow>;
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
      streamState: db.prepare(`
        SELECT (SELECT revision FROM events WHERE stream = ? ORDER BY revision DESC LIMIT 1) AS last,
               s.truncate_before, s.tombstoned
        FROM (SELECT 1) LEFT JOIN streams s ON s.name = ?`),
      insert: db.prepare('INSERT INTO events (id, stream, revision, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      markDeleted: db.prepare(`
        INSERT INTO streams (name, truncate_before, tombstoned) VALUES (?, ?, ?)
        ON CONFLICT (name) DO UPDATE SET truncate_before = excluded.truncate_before,
                                         tombstoned = max(tombstoned, excluded.tombstoned)`),
      // The visible part of a stream starts at its truncate_before (0 unless deleted).
      readForwards: db.prepare(`
        SELECT ${COLUMNS} FROM events
        WHERE stream = ?
          AND revision >= max(?, coalesce((SELECT truncate_before FROM streams WHERE name = ?), 0))
        ORDER BY revision ASC LIMIT ?`),
      readBackwards: db.prepare(`
        SELECT ${COLUMNS} FROM events
        WHERE stream = ? AND revision <= ?
          AND revision >= coalesce((SELECT truncate_before FROM streams WHERE name = ?), 0)
        ORDER BY revision DESC LIMIT ?`),
      readAll: db.prepare<[number, number], RawEventRow>(`SELECT ${COLUMNS} FROM events WHERE position > ? ORDER BY position ASC LIMIT ?`).raw(),
      headPosition: db.prepare<[], number>('SELECT coalesce(max(position), 0) FROM events').pluck(),
    };

    this.writes = new GroupCommitQueue(db, {
      maxBatchSize: options.maxBatchSize ?? 1000,
      onBegin: () => {
        this.eventsInBatch = 0;
      },
      onCommit: () => {
        this.eventsWritten += this.eventsInBatch;
        if (this.eventsInBatch > 0) this.notifier.notify();
      },
    });
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
    return this.writes.enqueue(() => this.writeEvents(stream, serialized, expectedRevision));
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<StoredEvent[]> {
    this.assertOpen();
    assertStreamName(stream);
    const limit = optionalCount(options.maxCount, 'maxCount');
    const from = options.fromRevision;
    if (from !== undefined && (!Number.isSafeInteger(from) || from < 0)) {
      throw new RangeError('fromRevision must be a non-negative integer');
    }
    const rows =
      options.direction === 'backwards'
        ? this.statements.readBackwards.all(stream, from ?? Number.MAX_SAFE_INTEGER, stream, limit)
        : this.statements.readForwards.all(stream, from ?? 0, stream, limit);
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
      this.writes.drain();
      this.db.close();
    })();
    return this.closing;
  }

  private writeEvents(stream: string, events: SerializedEvent[], expected: ExpectedRevision): AppendResult {
    const state = this.streamState(stream);
    checkExpectedRevision(stream, expected, state);
    const recordedAt = new Date().toISOString();
    let revision = state.lastRevision ?? -1;
    let position = 0;
    for (const event of events) {
      revision++;
      const info = this.statements.insert.run(event.id, stream, revision, event.type, event.data, event.metadata, recordedAt);
      position = Number(info.lastInsertRowid);
    }
    this.eventsInBatch += events.length;
    return { nextRevision: revision, position };
  }

  private enqueueDelete(stream: string, expected: ExpectedRevision, tombstone: boolean): Promise<void> {
    try {
      this.assertWritable();
      assertStreamName(stream);
      assertValidExpectedRevision(expected);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    return this.writes.enqueue(() => {
      const state = this.streamState(stream);
      checkExpectedRevision(stream, expected, state);
      // Soft-deleting a stream that does not exist (or is already deleted) changes nothing.
      if (!tombstone && visibleRevision(state) === null) return;
      const truncateBefore = Math.max(state.truncateBefore, (state.lastRevision ?? -1) + 1);
      this.statements.markDeleted.run(stream, truncateBefore, tombstone ? 1 : 0);
    });
  }

  private streamState(stream: string): StreamState {
    const row = this.statements.streamState.get(stream, stream)!;
    return {
      lastRevision: row.last,
      truncateBefore: row.truncate_before ?? 0,
      tombstoned: row.tombstoned === 1,
    };
  }

  private readAllSync(after: number, limit: number): StoredEvent[] {
    if (!Number.isSafeInteger(after) || after < 0) throw new RangeError('fromPosition must be a non-negative integer');
    const rows = this.statements.readAll.all(after, limit);
    const events = new Array<StoredEvent>(rows.length);
    for (let i = 0; i < rows.length; i++) events[i] = rawToStoredEvent(rows[i]);
    return events;
  }

  private assertOpen(): void {
    if (!this.db.open) throw new Error('The event store is closed');
  }

  private assertWritable(): void {
    if (!this.acceptingWrites || !this.db.open) throw new Error('The event store is closed');
  }
}
