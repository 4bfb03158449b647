/**
 * The event store port. Every adapter (SQLite embedded, EventStoreDB) passes the
 * conformance suite in `event-store.conformance.ts`.
 *
 * Revisions are per stream and start at 0 (the first event of a stream has revision 0).
 * Positions are global and totally ordered; the SQLite adapter's are gap-free, starting at 1.
 */

/** Metadata every medrec event carries. Adapters store it as-is (JSON). */
export interface EventMetadata {
  actor: string;
  role: string;
  purpose?: string;
  correlationId: string;
  causationId: string;
  occurredAt: string;
  schemaVersion: number;
  /** Hash of the previous event of the same stream (hex SHA-256), 'genesis' for the first. */
  prevHash?: string;
  /** Hash of this event (type, data, metadata without `hash`). */
  hash?: string;
  [key: string]: unknown;
}

export interface NewEvent {
  /** Optional event id (uuid); the adapter generates one when absent. */
  id?: string;
  type: string;
  data: Record<string, unknown>;
  metadata: EventMetadata;
}

export interface StoredEvent {
  id: string;
  stream: string;
  type: string;
  data: Record<string, unknown>;
  metadata: EventMetadata;
  revision: number;
  position: number;
  /** When the store recorded it (ISO 8601). */
  recordedAt: string;
}

/**
 * - a number: the stream's last revision must be exactly this
 * - 'no_stream': the stream must not exist
 * - 'stream_exists': the stream must exist (have at least one event)
 * - 'any': no check
 */
export type ExpectedRevision = number | 'no_stream' | 'stream_exists' | 'any';

export interface AppendResult {
  /** Revision of the last event appended. */
  nextRevision: number;
  /** Global position of the last event appended. */
  position: number;
}

export type Direction = 'forwards' | 'backwards';

export interface ReadStreamOptions {
  /** Inclusive start revision; defaults to the start (forwards) or the end (backwards). */
  fromRevision?: number;
  direction?: Direction;
  maxCount?: number;
}

export interface ReadAllOptions {
  /** Exclusive: events with position > fromPosition. 0 (default) reads from the start. */
  fromPosition?: number;
  maxCount?: number;
}

export interface SubscribeAllOptions {
  /** Exclusive: deliver events with position > fromPosition. */
  fromPosition?: number;
}

/** A catch-up-then-live subscription. Events are delivered one at a time, in position order;
 * the next is delivered only after the handler's promise settles. A handler that throws
 * stops the subscription and the error is reported through `done`. */
export interface Subscription {
  close(): Promise<void>;
  /** Settles when the subscription stops: resolves on close(), rejects on a handler or store error. */
  readonly done: Promise<void>;
}

export type EventHandler = (event: StoredEvent) => Promise<void> | void;

export interface EventStore {
  append(stream: string, events: NewEvent[], expectedRevision: ExpectedRevision): Promise<AppendResult>;
  /** Events of one stream. A stream that does not exist, or was deleted, reads as []. */
  readStream(stream: string, options?: ReadStreamOptions): Promise<StoredEvent[]>;
  /** Events of every stream in position order (never system/internal events). */
  readAll(options?: ReadAllOptions): Promise<StoredEvent[]>;
  subscribeAll(handler: EventHandler, options?: SubscribeAllOptions): Subscription;
  /** Last revision of the stream, or null when it does not exist. */
  streamRevision(stream: string): Promise<number | null>;
  /** Soft delete: the stream reads as empty and may be written again (revisions continue). */
  deleteStream(stream: string, expectedRevision?: ExpectedRevision): Promise<void>;
  /** Hard delete: the stream reads as empty and every later append fails with StreamDeletedError. */
  tombstoneStream(stream: string, expectedRevision?: ExpectedRevision): Promise<void>;
  /** Position of the newest event in the store, 0 when empty. */
  headPosition(): Promise<number>;
  close(): Promise<void>;
}

export class WrongExpectedRevisionError extends Error {
  constructor(
    readonly stream: string,
    readonly expected: ExpectedRevision,
    readonly actual: number | 'no_stream',
  ) {
    super(`Wrong expected revision on ${stream}: expected ${String(expected)}, actual ${String(actual)}`);
    this.name = 'WrongExpectedRevisionError';
  }
}

export class StreamDeletedError extends Error {
  constructor(readonly stream: string) {
    super(`Stream ${stream} is deleted`);
    this.name = 'StreamDeletedError';
  }
}

export const EVENT_STORE = Symbol('EVENT_STORE');
