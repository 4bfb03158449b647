import type Database from 'better-sqlite3';
import { AppendResult, ExpectedRevision } from '../event-store.port';
import { checkExpectedRevision, StreamState, visibleRevision } from './expected-revision';

/** An event ready to be inserted: JSON serialized once, before it enters the write queue. */
export interface SerializedEvent {
  id: string;
  type: string;
  data: string;
  metadata: string;
}

/** One write of the event store, as data: it runs on whichever connection holds the write (this thread's or the write thread's). */
export type WriteOperation =
  | { kind: 'append'; stream: string; events: SerializedEvent[]; expected: ExpectedRevision }
  | { kind: 'delete'; stream: string; expected: ExpectedRevision; tombstone: boolean };

interface StreamStateRow {
  last: number | null;
  truncate_before: number | null;
  tombstoned: number | null;
}

/** The state of a stream as the revision checks see it, read on `db`. */
export function streamStateStatement(db: Database.Database): (stream: string) => StreamState {
  const statement = db.prepare<[string, string], StreamStateRow>(`
    SELECT (SELECT revision FROM events WHERE stream = ? ORDER BY revision DESC LIMIT 1) AS last,
           s.truncate_before, s.tombstoned
    FROM (SELECT 1) LEFT JOIN streams s ON s.name = ?`);
  return (stream) => {
    const row = statement.get(stream, stream)!;
    return { lastRevision: row.last, truncateBefore: row.truncate_before ?? 0, tombstoned: row.tombstoned === 1 };
  };
}

/**
 * The write operations of the event store on one connection, each meant to run inside a write
 * transaction (see runBatch): checks the expected revision, then inserts or marks deleted.
 */
export class WriteOperations {
  private readonly streamState: (stream: string) => StreamState;
  private readonly insert: Database.Statement<[string, string, number, string, string, string, string]>;
  private readonly markDeleted: Database.Statement<[string, number, number]>;

  constructor(db: Database.Database) {
    this.streamState = streamStateStatement(db);
    this.insert = db.prepare('INSERT INTO events (id, stream, revision, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
    this.markDeleted = db.prepare(`
      INSERT INTO streams (name, truncate_before, tombstoned) VALUES (?, ?, ?)
      ON CONFLICT (name) DO UPDATE SET truncate_before = excluded.truncate_before,
                                       tombstoned = max(tombstoned, excluded.tombstoned)`);
  }

  /** Runs one operation; answers what it wrote (an append's result, or undefined) and how many events. */
  run(operation: WriteOperation): { result: AppendResult | undefined; events: number } {
    if (operation.kind === 'append') return { result: this.append(operation.stream, operation.events, operation.expected), events: operation.events.length };
    this.delete(operation.stream, operation.expected, operation.tombstone);
    return { result: undefined, events: 0 };
  }

  private append(stream: string, events: SerializedEvent[], expected: ExpectedRevision): AppendResult {
    const state = this.streamState(stream);
    checkExpectedRevision(stream, expected, state);
    const recordedAt = new Date().toISOString();
    let revision = state.lastRevision ?? -1;
    let position = 0;
    for (const event of events) {
      revision++;
      const info = this.insert.run(event.id, stream, revision, event.type, event.data, event.metadata, recordedAt);
      position = Number(info.lastInsertRowid);
    }
    return { nextRevision: revision, position };
  }

  private delete(stream: string, expected: ExpectedRevision, tombstone: boolean): void {
    const state = this.streamState(stream);
    checkExpectedRevision(stream, expected, state);
    // Soft-deleting a stream that does not exist (or is already deleted) changes nothing.
    if (!tombstone && visibleRevision(state) === null) return;
    const truncateBefore = Math.max(state.truncateBefore, (state.lastRevision ?? -1) + 1);
    this.markDeleted.run(stream, truncateBefore, tombstone ? 1 : 0);
  }
}
