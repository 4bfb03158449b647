/**
 * Streams.Read: stream reads, $all reads, and catch-up-then-live subscriptions to $all or to a
 * stream, answered the way EventStoreDB answers them.
 */
import { randomUUID } from 'node:crypto';
import { ServerErrorResponse, ServerWritableStream, status } from '@grpc/grpc-js';
import { ReadReq, ReadResp } from '@eventstore/db-client/generated/streams_pb';
import { InvalidPositionError, LogRecord, TransactionLog } from './transaction-log';
import { invalidArgument, invalidPosition, streamDeleted } from './rpc-errors';
import { caughtUpResponse, checkpointResponse, confirmationResponse, eventResponse, streamNameOf, streamNotFoundResponse, UuidFormat } from './wire-format';

type ReadCall = ServerWritableStream<ReadReq, ReadResp>;
type Options = ReadReq.Options;

/** EventStoreDB's read batch size: the default search window of a filtered subscription. */
const READ_BATCH_SIZE = 32;

export function handleRead(log: TransactionLog, call: ReadCall): void {
  read(log, call).catch((error: unknown) => {
    if (!isCancelled(call)) call.emit('error', toServiceError(error));
  });
}

async function read(log: TransactionLog, call: ReadCall): Promise<void> {
  const options = call.request.getOptions();
  if (!options) throw invalidArgument('Read requires options');
  const uuidFormat: UuidFormat = options.getUuidOption()?.hasStructured() ? 'structured' : 'string';
  if (options.hasSubscription()) {
    if (options.hasAll()) return subscribeToAll(log, call, options, uuidFormat);
    return subscribeToStream(log, call, options, uuidFormat);
  }
  const count = BigInt(options.getCount() || '0');
  const backwards = options.getReadDirection() === ReadReq.Options.ReadDirection.BACKWARDS;
  const responses = options.hasAll()
    ? readAll(log, options, backwards, count).map((r) => eventResponse(r, uuidFormat, true))
    : readStream(log, options, backwards, count, uuidFormat);
  for (const response of responses) await send(call, response);
  call.end();
}

function readStream(log: TransactionLog, options: Options, backwards: boolean, count: bigint, uuidFormat: UuidFormat): ReadResp[] {
  const streamOptions = options.getStream()!;
  const stream = streamNameOf(streamOptions.getStreamIdentifier());
  const from = streamOptions.hasRevision() ? BigInt(streamOptions.getRevision()) : streamOptions.hasEnd() ? 'end' : 'start';
  const result = log.readStream(stream, from, backwards ? 'backwards' : 'forwards', count);
  if (result === 'deleted') throw streamDeleted(stream);
  if (result === 'not_found') return [streamNotFoundResponse(stream)];
  return result.map((r) => eventResponse(r, uuidFormat, false));
}

function readAll(log: TransactionLog, options: Options, backwards: boolean, count: bigint): LogRecord[] {
  const all = options.getAll()!;
  const matches = filterOf(options);
  const limit = count > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(count);
  let index: number;
  if (all.hasPosition()) index = log.indexAtBoundary(BigInt(all.getPosition()!.getCommitPosition()));
  else if (all.hasEnd()) index = log.length;
  else index = 0;
  const records: LogRecord[] = [];
  // Forwards from a position includes the record there; backwards includes only records that end by it.
  const step = backwards ? -1 : 1;
  for (let i = backwards ? index - 1 : index; i >= 0 && i < log.length && records.length < limit; i += step) {
    const record = log.recordAt(i);
    if (matches(record)) records.push(record);
  }
  return records;
}

async function subscribeToAll(log: TransactionLog, call: ReadCall, options: Options, uuidFormat: UuidFormat) {
  const all = options.getAll()!;
  let start: number;
  if (all.hasPosition()) {
    const position = BigInt(all.getPosition()!.getCommitPosition());
    // Subscribing from a position is exclusive of the record at that position.
    start = log.indexAtBoundary(position);
    if (start < log.length && log.recordAt(start).position === position) start += 1;
  } else if (all.hasEnd()) {
    start = log.length;
  } else {
    start = 0;
  }
  const filter = options.hasFilter() ? options.getFilter()! : undefined;
  const checkpointInterval = filter ? filter.getCheckpointintervalmultiplier() * (filter.hasMax() ? filter.getMax() : READ_BATCH_SIZE) : 0;
  await pump(log, call, {
    start,
    matches: filterOf(options),
    toResponse: (record) => eventResponse(record, uuidFormat, true),
    checkpointInterval,
  });
}

async function subscribeToStream(log: TransactionLog, call: ReadCall, options: Options, uuidFormat: UuidFormat) {
  const streamOptions = options.getStream()!;
  const stream = streamNameOf(streamOptions.getStreamIdentifier());
  if (log.isTombstoned(stream)) throw streamDeleted(stream);
  const after = streamOptions.hasRevision() ? BigInt(streamOptions.getRevision()) : -1n;
  await pump(log, call, {
    start: streamOptions.hasEnd() ? log.length : 0,
    matches: (record) => record.stream === stream && record.eventNumber > after,
    toResponse: (record) => {
      if (record.type === '$streamDeleted') throw streamDeleted(stream);
      return eventResponse(record, uuidFormat, false);
    },
    checkpointInterval: 0,
  });
}

interface PumpOptions {
  /** Index in the log of the first record to consider. */
  start: number;
  matches: (record: LogRecord) => boolean;
  toResponse: (record: LogRecord) => ReadResp;
  /** Send a checkpoint every this many records considered; 0 for none. */
  checkpointInterval: number;
}

/**
 * Confirms the subscription, sends the matching records already in the log, says it caught up,
 * then sends each new matching record as it is written, until the client cancels.
 */
async function pump(log: TransactionLog, call: ReadCall, options: PumpOptions): Promise<void> {
  let wake: () => void = () => undefined;
  const stopListening = log.onAppended(() => wake());
  call.on('cancelled', () => wake());
  try {
    await send(call, confirmationResponse(randomUUID()));
    let index = options.start;
    let considered = 0;
    let caughtUp = false;
    while (!isCancelled(call)) {
      if (index < log.length) {
        const record = log.recordAt(index++);
        if (options.matches(record)) await send(call, options.toResponse(record));
        if (options.checkpointInterval > 0 && ++considered >= options.checkpointInterval) {
          considered = 0;
          await send(call, checkpointResponse(record.position));
        }
        continue;
      }
      if (!caughtUp) {
        caughtUp = true;
        await send(call, caughtUpResponse());
        continue;
      }
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    stopListening();
  }
}

function filterOf(options: Options): (record: LogRecord) => boolean {
  if (!options.hasFilter()) return () => true;
  const filter = options.getFilter()!;
  const onEventType = filter.hasEventType();
  const expression = onEventType ? filter.getEventType()! : filter.getStreamIdentifier()!;
  const prefixes = expression.getPrefixList();
  const regex = expression.getRegex() ? new RegExp(expression.getRegex()) : null;
  return (record) => {
    const value = onEventType ? record.type : record.stream;
    if (prefixes.length > 0) return prefixes.some((prefix) => value.startsWith(prefix));
    return regex ? regex.test(value) : true;
  };
}

function send(call: ReadCall, response: ReadResp): Promise<void> {
  if (isCancelled(call) || call.write(response)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      call.off('drain', done);
      call.off('cancelled', done);
      resolve();
    };
    call.on('drain', done);
    call.on('cancelled', done);
  });
}

function isCancelled(call: ReadCall): boolean {
  return call.cancelled || call.destroyed;
}

function toServiceError(error: unknown): ServerErrorResponse {
  if (error instanceof InvalidPositionError) return invalidPosition();
  if (error instanceof Error && 'code' in error) return error as ServerErrorResponse;
  return Object.assign(new Error(String(error)), { code: status.UNKNOWN, details: String(error) });
}
