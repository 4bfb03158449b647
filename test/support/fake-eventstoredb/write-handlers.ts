/** Streams.Append, Streams.BatchAppend, Streams.Delete and Streams.Tombstone. */
import { sendUnaryData, ServerDuplexStream, ServerErrorResponse, ServerReadableStream, ServerUnaryCall, status } from '@grpc/grpc-js';
import { Any } from 'google-protobuf/google/protobuf/any_pb';
import { Empty as ProtobufEmpty } from 'google-protobuf/google/protobuf/empty_pb';
import { AllStreamPosition, BadRequest, Empty, StreamDeleted, WrongExpectedVersion } from '@eventstore/db-client/generated/shared_pb';
import { Status } from '@eventstore/db-client/generated/status_pb';
import {
  AppendReq,
  AppendResp,
  BatchAppendReq,
  BatchAppendResp,
  DeleteReq,
  DeleteResp,
  TombstoneReq,
  TombstoneResp,
} from '@eventstore/db-client/generated/streams_pb';
import { ExpectedVersion, ProposedEvent, TransactionLog, WriteResult } from './transaction-log';
import { invalidArgument, streamDeleted, wrongExpectedVersion } from './rpc-errors';
import { proposedEvent, streamIdentifier, streamNameOf, uuidToString } from './wire-format';

/** The case numbers of the expected-revision oneof, shared by Append, Delete and Tombstone options. */
interface ExpectedRevisionOptions {
  getExpectedStreamRevisionCase(): number;
  getRevision(): string;
}

function expectedVersionOf(options: ExpectedRevisionOptions): ExpectedVersion {
  // REVISION = 2, NO_STREAM = 3, ANY = 4, STREAM_EXISTS = 5 in every one of these messages.
  switch (options.getExpectedStreamRevisionCase()) {
    case 2:
      return BigInt(options.getRevision());
    case 3:
      return 'no_stream';
    case 4:
      return 'any';
    case 5:
      return 'stream_exists';
    default:
      throw invalidArgument('An expected stream revision is required');
  }
}

/** EventStoreDB's numeric encoding, as it appears in the `expected-version` trailer. */
function expectedVersionNumber(expected: ExpectedVersion): bigint {
  if (typeof expected === 'bigint') return expected;
  return { no_stream: -1n, any: -2n, stream_exists: -4n }[expected];
}

export function handleAppend(log: TransactionLog, call: ServerReadableStream<AppendReq, AppendResp>, callback: sendUnaryData<AppendResp>): void {
  let options: AppendReq.Options | undefined;
  const events: ProposedEvent[] = [];
  let failed = false;
  const fail = (error: ServerErrorResponse) => {
    failed = true;
    callback(error);
  };
  call.on('data', (request: AppendReq) => {
    if (failed) return;
    try {
      if (!options) {
        if (!request.hasOptions()) throw invalidArgument('The first Append message must carry the options');
        options = request.getOptions()!;
      } else {
        if (!request.hasProposedMessage()) throw invalidArgument('Expected a proposed message');
        events.push(proposedEvent(request.getProposedMessage()!));
      }
    } catch (error) {
      fail(error as ServerErrorResponse);
    }
  });
  call.on('end', () => {
    if (failed) return;
    if (!options) return fail(invalidArgument('Append requires options'));
    try {
      const stream = streamNameOf(options.getStreamIdentifier());
      const expected = expectedVersionOf(options);
      const result = log.write(stream, expected, events);
      if (result.kind === 'stream_deleted') return fail(streamDeleted(stream));
      callback(null, appendResponse(result, expected));
    } catch (error) {
      fail(error as ServerErrorResponse);
    }
  });
}

function appendResponse(result: Exclude<WriteResult, { kind: 'stream_deleted' }>, expected: ExpectedVersion) {
  const response = new AppendResp();
  if (result.kind === 'success') {
    const success = new AppendResp.Success();
    if (result.lastEventNumber < 0n) success.setNoStream(new Empty());
    else success.setCurrentRevision(result.lastEventNumber.toString());
    if (result.position === null) success.setNoPosition(new Empty());
    else success.setPosition(new AppendResp.Position().setCommitPosition(result.position.toString()).setPreparePosition(result.position.toString()));
    return response.setSuccess(success);
  }
  const wrong = new AppendResp.WrongExpectedVersion();
  if (typeof expected === 'bigint') {
    wrong.setExpectedRevision(expected.toString()).setExpectedRevision2060(Number(expected));
  } else if (expected === 'any') {
    wrong.setExpectedAny(new Empty()).setAny2060(new Empty());
  } else if (expected === 'stream_exists') {
    wrong.setExpectedStreamExists(new Empty()).setStreamExists2060(new Empty());
  } else {
    wrong.setExpectedNoStream(new Empty());
  }
  if (result.current < 0n) wrong.setCurrentNoStream(new Empty()).setNoStream2060(new Empty());
  else wrong.setCurrentRevision(result.current.toString()).setCurrentRevision2060(Number(result.current));
  return response.setWrongExpectedVersion(wrong);
}

/**
 * One long-lived duplex call carries many appends, told apart by correlation id; an append may
 * span several requests and completes with the one marked final.
 */
export function handleBatchAppend(log: TransactionLog, call: ServerDuplexStream<BatchAppendReq, BatchAppendResp>) {
  const pending = new Map<string, { options?: BatchAppendReq.Options; events: ProposedEvent[] }>();
  call.on('data', (request: BatchAppendReq) => {
    const correlationId = uuidToString(request.getCorrelationId());
    const batch = pending.get(correlationId) ?? { events: [] };
    pending.set(correlationId, batch);
    if (request.hasOptions()) batch.options = request.getOptions();
    const response = new BatchAppendResp().setCorrelationId(request.getCorrelationId());
    try {
      for (const message of request.getProposedMessagesList()) batch.events.push(proposedEvent(message));
      if (!request.getIsFinal()) return;
      pending.delete(correlationId);
      if (!batch.options) throw invalidArgument('The first BatchAppend request must carry the options');
      const stream = streamNameOf(batch.options.getStreamIdentifier());
      response.setStreamIdentifier(streamIdentifier(stream));
      const expected = batchExpectedVersion(batch.options, response);
      const result = log.write(stream, expected, batch.events);
      if (result.kind === 'success') {
        const success = new BatchAppendResp.Success();
        if (result.lastEventNumber < 0n) success.setNoStream(new ProtobufEmpty());
        else success.setCurrentRevision(result.lastEventNumber.toString());
        if (result.position === null) success.setNoPosition(new ProtobufEmpty());
        else success.setPosition(new AllStreamPosition().setCommitPosition(result.position.toString()).setPreparePosition(result.position.toString()));
        response.setSuccess(success);
      } else if (result.kind === 'wrong_expected_version') {
        const details = new WrongExpectedVersion();
        if (result.current < 0n) details.setCurrentNoStream(new ProtobufEmpty());
        else details.setCurrentStreamRevision(result.current.toString());
        if (typeof expected === 'bigint') details.setExpectedStreamPosition(expected.toString());
        else if (expected === 'any') details.setExpectedAny(new ProtobufEmpty());
        else if (expected === 'stream_exists') details.setExpectedStreamExists(new ProtobufEmpty());
        else details.setExpectedNoStream(new ProtobufEmpty());
        response.setError(errorStatus(status.FAILED_PRECONDITION, 'WrongExpectedVersion', details, 'WrongExpectedVersion'));
      } else {
        const details = new StreamDeleted().setStreamIdentifier(streamIdentifier(stream));
        response.setError(errorStatus(status.FAILED_PRECONDITION, 'Stream Deleted', details, 'StreamDeleted'));
      }
    } catch (error) {
      pending.delete(correlationId);
      const message = (error as Error).message;
      response.setError(errorStatus(status.INVALID_ARGUMENT, message, new BadRequest().setMessage(message), 'BadRequest'));
    }
    call.write(response);
  });
  call.on('end', () => call.end());
}

function batchExpectedVersion(options: BatchAppendReq.Options, response: BatchAppendResp): ExpectedVersion {
  switch (options.getExpectedStreamPositionCase()) {
    case BatchAppendReq.Options.ExpectedStreamPositionCase.STREAM_POSITION:
      response.setStreamPosition(options.getStreamPosition());
      return BigInt(options.getStreamPosition());
    case BatchAppendReq.Options.ExpectedStreamPositionCase.NO_STREAM:
      response.setNoStream(new ProtobufEmpty());
      return 'no_stream';
    case BatchAppendReq.Options.ExpectedStreamPositionCase.STREAM_EXISTS:
      response.setStreamExists(new ProtobufEmpty());
      return 'stream_exists';
    default:
      response.setAny(new ProtobufEmpty());
      return 'any';
  }
}

function errorStatus(code: status, message: string, details: { serializeBinary(): Uint8Array }, typeName: string): Status {
  const any = new Any();
  any.pack(details.serializeBinary(), `event_store.client.${typeName}`);
  return new Status()
    .setCode(code as number)
    .setMessage(message)
    .setDetails(any);
}

export function handleDelete(log: TransactionLog, call: ServerUnaryCall<DeleteReq, DeleteResp>, callback: sendUnaryData<DeleteResp>): void {
  const options = call.request.getOptions();
  if (!options) return callback(invalidArgument('Delete requires options'));
  const position = deleteStream(log, options, false, callback);
  if (position === undefined) return;
  const response = new DeleteResp();
  if (position === null) response.setNoPosition(new Empty());
  else response.setPosition(new DeleteResp.Position().setCommitPosition(position.toString()).setPreparePosition(position.toString()));
  callback(null, response);
}

export function handleTombstone(log: TransactionLog, call: ServerUnaryCall<TombstoneReq, TombstoneResp>, callback: sendUnaryData<TombstoneResp>): void {
  const options = call.request.getOptions();
  if (!options) return callback(invalidArgument('Tombstone requires options'));
  const position = deleteStream(log, options, true, callback);
  if (position === undefined) return;
  const response = new TombstoneResp();
  if (position === null) response.setNoPosition(new Empty());
  else response.setPosition(new TombstoneResp.Position().setCommitPosition(position.toString()).setPreparePosition(position.toString()));
  callback(null, response);
}

/** Returns the position written, or undefined after answering the call with an error. */
function deleteStream(
  log: TransactionLog,
  options: DeleteReq.Options | TombstoneReq.Options,
  hard: boolean,
  callback: sendUnaryData<never>,
): bigint | null | undefined {
  const stream = streamNameOf(options.getStreamIdentifier());
  let expected: ExpectedVersion;
  try {
    expected = expectedVersionOf(options);
  } catch (error) {
    callback(error as ServerErrorResponse);
    return undefined;
  }
  const result = log.delete(stream, expected, hard);
  if (result.kind === 'stream_deleted') {
    callback(streamDeleted(stream));
    return undefined;
  }
  if (result.kind === 'wrong_expected_version') {
    callback(wrongExpectedVersion('Delete', stream, expectedVersionNumber(expected), result.current));
    return undefined;
  }
  return result.position;
}
