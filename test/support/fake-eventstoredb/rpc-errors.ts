/**
 * The gRPC errors EventStoreDB answers with: a status code plus an `exception` trailer that
 * the client turns into a typed error (see the client's convertToCommandError).
 */
import { Metadata, ServerErrorResponse, status } from '@grpc/grpc-js';

function rpcError(code: status, details: string, trailers: Record<string, string> = {}): ServerErrorResponse {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(trailers)) metadata.set(key, value);
  return Object.assign(new Error(details), { code, details, metadata });
}

export function streamDeleted(stream: string): ServerErrorResponse {
  return rpcError(status.FAILED_PRECONDITION, `Event stream '${stream}' is deleted.`, {
    exception: 'stream-deleted',
    'stream-name': stream,
  });
}

/** As Delete and Tombstone report it; Append answers a wrong expected version in its response instead. */
export function wrongExpectedVersion(operation: string, stream: string, expectedVersion: bigint, actualVersion: bigint): ServerErrorResponse {
  return rpcError(
    status.FAILED_PRECONDITION,
    `${operation} failed due to WrongExpectedVersion. Stream: ${stream}, Expected version: ${expectedVersion}, Actual version: ${actualVersion}`,
    {
      exception: 'wrong-expected-version',
      'stream-name': stream,
      'expected-version': expectedVersion.toString(),
      'actual-version': actualVersion.toString(),
    },
  );
}

export function requiredMetadataPropertyMissing(property: string): ServerErrorResponse {
  return rpcError(status.INVALID_ARGUMENT, `Required Metadata Property '${property}' is missing`, {
    exception: 'missing-required-metadata-property',
    'required-metadata-properties': 'type,content-type',
  });
}

export function invalidPosition(): ServerErrorResponse {
  return rpcError(status.INVALID_ARGUMENT, 'Trying to read from an invalid position.');
}

export function invalidArgument(details: string): ServerErrorResponse {
  return rpcError(status.INVALID_ARGUMENT, details);
}

export function unimplemented(what: string): ServerErrorResponse {
  return rpcError(status.UNIMPLEMENTED, `${what} is not implemented by the fake EventStoreDB`);
}
