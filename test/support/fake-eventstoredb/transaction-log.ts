/**
 * The in-memory storage of the fake EventStoreDB: one append-only transaction log ($all) and
 * per-stream state, with the write rules EventStoreDB applies (expected versions, idempotent
 * retries, soft delete through `$tb` stream metadata, tombstones).
 *
 * Positions imitate EventStoreDB's: byte offsets into the log, so they grow by the size of each
 * record and are not gap-free. Every event is written as an implicit transaction, so its commit
 * and prepare positions are equal. Reading $all from a position that is not a record boundary
 * fails, as it does on a real server.
 */
import { randomUUID } from 'node:crypto';

/** Expected version as EventStoreDB encodes it internally (-1 no stream, -2 any, -4 stream exists). */
export type ExpectedVersion = bigint | 'any' | 'no_stream' | 'stream_exists';

/** EventStoreDB's event number for a tombstone and its `$tb` value for a soft-deleted stream (long.MaxValue). */
export const DELETED_STREAM = 9223372036854775807n;

export interface ProposedEvent {
  id: string;
  type: string;
  contentType: string;
  data: Uint8Array;
  metadata: Uint8Array;
}

export interface LogRecord extends ProposedEvent {
  stream: string;
  eventNumber: bigint;
  /** Pre-position of the record: its commit and prepare position. */
  position: bigint;
  /** Post-position: where the next record starts. */
  postPosition: bigint;
  /** .NET ticks (100 ns) since the Unix epoch, as EventStoreDB sends `created`. */
  createdTicks: bigint;
}

export type WriteResult =
  { kind: 'success'; lastEventNumber: bigint; position: bigint | null } | { kind: 'wrong_expected_version'; current: bigint } | { kind: 'stream_deleted' };

export class InvalidPositionError extends Error {
  constructor() {
    super('Trying to read from an invalid position.');
  }
}

interface StreamState {
  /** Last event number written, -1 when none, DELETED_STREAM once tombstoned. */
  lastEventNumber: bigint;
  records: LogRecord[];
  /** `$tb` of the stream's metadata: DELETED_STREAM while soft-deleted. */
  truncateBefore?: bigint;
}

type CommitDecision =
  | { kind: 'ok'; softDeleted: boolean }
  | { kind: 'idempotent'; lastEventNumber: bigint; position: bigint }
  | { kind: 'wrong_expected_version'; current: bigint }
  | { kind: 'stream_deleted' };

const RECORD_OVERHEAD = 96;
const TICKS_PER_MS = 10_000n;
const utf8 = new TextEncoder();

export class TransactionLog {
  private readonly records: LogRecord[] = [];
  private readonly indexByPosition = new Map<bigint, number>();
  private readonly streams = new Map<string, StreamState>();
  private readonly listeners = new Set<() => void>();
  /** The writer checkpoint: where the next record goes. Starts past a pretend epoch record. */
  private writerPosition = 4_096n;

  constructor() {
    // A real server's log never starts empty: these are the kind of system events a new node writes.
    this.write('$epoch-information', 'no_stream', [systemEvent('$epoch-information', { epochNumber: 0 })]);
    this.write('$settings', 'no_stream', [systemEvent('$settings', { $userStreamAcl: {}, $systemStreamAcl: {} })]);
  }

  get length(): number {
    return this.records.length;
  }

  get endPosition(): bigint {
    return this.writerPosition;
  }

  recordAt(index: number): LogRecord {
    return this.records[index];
  }

  /** Calls `listener` after every record written, until the returned function is called. */
  onAppended(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  write(stream: string, expected: ExpectedVersion, events: ProposedEvent[]): WriteResult {
    const decision = this.checkCommit(
      stream,
      expected,
      events.map((e) => e.id),
    );
    switch (decision.kind) {
      case 'wrong_expected_version':
      case 'stream_deleted':
        return decision;
      case 'idempotent':
        return { kind: 'success', lastEventNumber: decision.lastEventNumber, position: decision.position };
    }
    const state = this.stream(stream);
    const firstNew = state.lastEventNumber + 1n;
    let last: LogRecord | undefined;
    for (const event of events) last = this.appendRecord(stream, state.lastEventNumber + 1n, event);
    if (decision.softDeleted && events.length > 0) {
      // Recreating a soft-deleted stream: EventStoreDB moves `$tb` to the first new event.
      this.writeMetadata(stream, { $tb: firstNew });
    }
    this.notify();
    return { kind: 'success', lastEventNumber: state.lastEventNumber, position: last?.position ?? null };
  }

  /** Soft delete (`hard` false) or tombstone (`hard` true). Returns the position of the record written. */
  delete(stream: string, expected: ExpectedVersion, hard: boolean): WriteResult {
    const decision = this.checkCommit(stream, expected, []);
    if (decision.kind === 'wrong_expected_version' || decision.kind === 'stream_deleted') return decision;
    let record: LogRecord;
    if (hard) {
      const state = this.stream(stream);
      record = this.appendRecord(stream, DELETED_STREAM, {
        id: randomUUID(),
        type: '$streamDeleted',
        contentType: 'application/octet-stream',
        data: new Uint8Array(),
        metadata: new Uint8Array(),
      });
      state.lastEventNumber = DELETED_STREAM;
    } else {
      record = this.writeMetadata(stream, { $tb: DELETED_STREAM });
    }
    this.notify();
    return { kind: 'success', lastEventNumber: this.stream(stream).lastEventNumber, position: record.position };
  }

  /**
   * Events of one stream, as EventStoreDB's stream read answers: 'not_found' for a stream that
   * never existed or is soft-deleted, 'deleted' for a tombstoned one.
   */
  readStream(stream: string, from: bigint | 'start' | 'end', direction: 'forwards' | 'backwards', maxCount: bigint): LogRecord[] | 'not_found' | 'deleted' {
    const state = this.streams.get(stream);
    if (!state || (state.records.length === 0 && state.lastEventNumber < 0n)) return 'not_found';
    if (state.lastEventNumber === DELETED_STREAM) return 'deleted';
    if (state.truncateBefore === DELETED_STREAM) return 'not_found';
    const truncateBefore = state.truncateBefore ?? 0n;
    const visible = state.records.filter((r) => r.eventNumber >= truncateBefore);
    let selected: LogRecord[];
    if (direction === 'forwards') {
      const start = from === 'start' ? 0n : from === 'end' ? state.lastEventNumber + 1n : from;
      selected = visible.filter((r) => r.eventNumber >= start);
    } else {
      const start = from === 'start' ? 0n : from === 'end' ? state.lastEventNumber : from;
      selected = visible.filter((r) => r.eventNumber <= start).reverse();
    }
    return selected.slice(0, clampCount(maxCount));
  }

  /** Whether the stream has been tombstoned (subscriptions to it fail). */
  isTombstoned(stream: string): boolean {
    return this.streams.get(stream)?.lastEventNumber === DELETED_STREAM;
  }

  /**
   * Index of the first record at or after `position` (forwards), for a position that is a record
   * boundary: 0, a record's position, or the end of the log.
   */
  indexAtBoundary(position: bigint): number {
    if (position === 0n) return 0;
    if (position === this.writerPosition) return this.records.length;
    const index = this.indexByPosition.get(position);
    if (index === undefined) throw new InvalidPositionError();
    return index;
  }

  private checkCommit(stream: string, expected: ExpectedVersion, eventIds: string[]): CommitDecision {
    const state = this.streams.get(stream);
    const current = state?.lastEventNumber ?? -1n;
    if (current === DELETED_STREAM) return { kind: 'stream_deleted' };
    const softDeleted = state?.truncateBefore === DELETED_STREAM;

    if (expected === 'stream_exists') {
      if (softDeleted) return { kind: 'stream_deleted' };
      if (current < 0n && !this.streams.has(metaStreamOf(stream))) return { kind: 'wrong_expected_version', current };
    }

    if (expected === 'any' || expected === 'stream_exists') {
      // A retry of events already written to this stream succeeds without writing them again.
      const found = eventIds.map((id) => state?.records.find((r) => r.id === id));
      if (found.length === 0 || !found[0]) return { kind: 'ok', softDeleted };
      if (found.some((r) => !r)) return { kind: 'wrong_expected_version', current };
      const last = found[found.length - 1]!;
      return { kind: 'idempotent', lastEventNumber: last.eventNumber, position: last.position };
    }

    const expectedNumber = expected === 'no_stream' ? -1n : expected;
    if (expectedNumber < current) {
      for (const [offset, id] of eventIds.entries()) {
        const existing = state?.records.find((r) => r.eventNumber === expectedNumber + 1n + BigInt(offset));
        if (existing?.id === id) continue;
        if (offset > 0) return { kind: 'wrong_expected_version', current };
        if (expected === 'no_stream' && softDeleted) return { kind: 'ok', softDeleted };
        return { kind: 'wrong_expected_version', current };
      }
      if (eventIds.length === 0) return { kind: 'wrong_expected_version', current };
      const last = state!.records.find((r) => r.eventNumber === expectedNumber + BigInt(eventIds.length))!;
      return { kind: 'idempotent', lastEventNumber: last.eventNumber, position: last.position };
    }
    if (expectedNumber > current) return { kind: 'wrong_expected_version', current };
    return { kind: 'ok', softDeleted };
  }

  private writeMetadata(stream: string, metadata: { $tb: bigint }): LogRecord {
    const metaStream = metaStreamOf(stream);
    const metaState = this.stream(metaStream);
    // JSON cannot carry long.MaxValue through JSON.stringify without losing precision.
    const json = `{"$tb":${metadata.$tb.toString()}}`;
    const record = this.appendRecord(metaStream, metaState.lastEventNumber + 1n, {
      id: randomUUID(),
      type: '$metadata',
      contentType: 'application/json',
      data: utf8.encode(json),
      metadata: new Uint8Array(),
    });
    this.stream(stream).truncateBefore = metadata.$tb;
    return record;
  }

  private appendRecord(stream: string, eventNumber: bigint, event: ProposedEvent): LogRecord {
    const state = this.stream(stream);
    const size = RECORD_OVERHEAD + utf8.encode(stream).length + utf8.encode(event.type).length + event.data.length + event.metadata.length;
    const record: LogRecord = {
      ...event,
      stream,
      eventNumber,
      position: this.writerPosition,
      postPosition: this.writerPosition + BigInt(size),
      createdTicks: BigInt(Date.now()) * TICKS_PER_MS,
    };
    this.writerPosition = record.postPosition;
    this.indexByPosition.set(record.position, this.records.length);
    this.records.push(record);
    state.records.push(record);
    if (eventNumber !== DELETED_STREAM) state.lastEventNumber = eventNumber;
    return record;
  }

  private stream(name: string): StreamState {
    let state = this.streams.get(name);
    if (!state) {
      state = { lastEventNumber: -1n, records: [] };
      this.streams.set(name, state);
    }
    return state;
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

export function metaStreamOf(stream: string): string {
  return `$$${stream}`;
}

function systemEvent(type: string, data: Record<string, unknown>): ProposedEvent {
  return {
    id: randomUUID(),
    type,
    contentType: 'application/json',
    data: utf8.encode(JSON.stringify(data)),
    metadata: new Uint8Array(),
  };
}

function clampCount(count: bigint): number {
  return count > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(count);
}
