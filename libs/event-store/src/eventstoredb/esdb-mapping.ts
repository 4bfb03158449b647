/** Translations between the event store port and @eventstore/db-client's types and errors. */
import { randomUUID } from 'node:crypto';
import { ANY, AppendExpectedRevision, ErrorType, isCommandError, jsonEvent, NO_STREAM, Position, RecordedEvent, STREAM_EXISTS } from '@eventstore/db-client';
import { EventMetadata, ExpectedRevision, NewEvent, StoredEvent, StreamDeletedError, WrongExpectedRevisionError } from '../event-store.port';

export function toClientRevision(expected: ExpectedRevision): AppendExpectedRevision {
  switch (expected) {
    case 'any':
      return ANY;
    case 'no_stream':
      return NO_STREAM;
    case 'stream_exists':
      return STREAM_EXISTS;
    default:
      if (!Number.isSafeInteger(expected) || expected < 0) {
        throw new RangeError(`Expected revision must be a non-negative integer, got ${String(expected)}`);
      }
      return BigInt(expected);
  }
}

/** A non-negative integer option, or `fallback` when absent. */
export function optionalCount(value: number | undefined, name: string, fallback = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer`);
  return value;
}

export function toEventData(event: NewEvent) {
  return jsonEvent({
    id: event.id ?? randomUUID(),
    type: event.type,
    data: event.data,
    metadata: event.metadata,
  });
}

/**
 * EventStoreDB positions are byte offsets into its transaction log: totally ordered, but not
 * gap-free. Events appended through gRPC are implicit transactions whose commit and prepare
 * positions are equal, so the commit position alone identifies an event's place in $all.
 */
export function toPosition(position: number): Position {
  const value = BigInt(position);
  return { commit: value, prepare: value };
}

export function isSystemEvent(event: RecordedEvent): boolean {
  return event.type.startsWith('$') || event.streamId.startsWith('$');
}

export function toStoredEvent(event: RecordedEvent): StoredEvent {
  if (!event.isJson) {
    // Not written through this adapter: the port only carries JSON events.
    throw new Error(`Event ${event.id} in stream ${event.streamId} is not a JSON event`);
  }
  if (!event.position) {
    throw new Error(`EventStoreDB returned event ${event.id} without a position (server older than 20.6?)`);
  }
  return {
    id: event.id,
    stream: event.streamId,
    type: event.type,
    data: event.data as Record<string, unknown>,
    metadata: (event.metadata ?? {}) as EventMetadata,
    revision: Number(event.revision),
    position: Number(event.position.commit),
    recordedAt: event.created.toISOString(),
  };
}

/** The client's wrong-expected-version and stream-deleted errors as the port's errors; others unchanged. */
export function toPortError(error: unknown, stream: string, expected: ExpectedRevision): unknown {
  if (!(error instanceof Error) || !isCommandError(error)) return error;
  if (error.type === ErrorType.WRONG_EXPECTED_VERSION) {
    const actual = error.actualVersion;
    return new WrongExpectedRevisionError(stream, expected, typeof actual === 'bigint' && actual >= 0n ? Number(actual) : 'no_stream');
  }
  if (error.type === ErrorType.STREAM_DELETED) return new StreamDeletedError(stream);
  return error;
}

export function isStreamGone(error: unknown): boolean {
  if (!(error instanceof Error) || !isCommandError(error)) return false;
  return error.type === ErrorType.STREAM_NOT_FOUND || error.type === ErrorType.STREAM_DELETED;
}

/**
 * Reading $all from a position that is not an event's position fails: EventStoreDB cannot
 * parse its log from the middle of a record. Older servers answer UNKNOWN "...InvalidPosition",
 * newer ones INVALID_ARGUMENT "Trying to read from an invalid position".
 */
export function isInvalidPosition(error: unknown): boolean {
  return error instanceof Error && /invalid ?position/i.test(error.message);
}
