import { StreamDeletedError, WrongExpectedRevisionError } from '../event-store.port';
import type { WriteOperation } from './write-operations';

/** What the write thread (write-thread.ts) is started with. */
export interface WriteThreadData {
  filename: string;
  busyTimeoutMs: number;
}

/** An error as it crosses threads: the revision errors are rebuilt as themselves, others keep name, message and code. */
export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  stream?: string;
  expected?: WrongExpectedRevisionError['expected'];
  actual?: WrongExpectedRevisionError['actual'];
}

export type WriteThreadRequest = { type: 'batch'; operations: WriteOperation[] } | { type: 'close' };
export type WriteThreadReply =
  | { type: 'ready'; journalMode: string; synchronous: number }
  | { type: 'done'; committed: boolean; writes: Array<{ ok: true; value: unknown } | { ok: false; error: SerializedError }> }
  | { type: 'failed'; error: SerializedError };

export function serializeError(error: unknown): SerializedError {
  if (error instanceof WrongExpectedRevisionError) {
    return { name: error.name, message: error.message, stream: error.stream, expected: error.expected, actual: error.actual };
  }
  if (error instanceof StreamDeletedError) return { name: error.name, message: error.message, stream: error.stream };
  const { name, message, code } = error as { name?: unknown; message?: unknown; code?: unknown };
  return {
    name: typeof name === 'string' ? name : 'Error',
    message: typeof message === 'string' ? message : String(error),
    ...(typeof code === 'string' ? { code } : {}),
  };
}

export function deserializeError(error: SerializedError): Error {
  if (error.name === 'WrongExpectedRevisionError') return new WrongExpectedRevisionError(error.stream!, error.expected!, error.actual!);
  if (error.name === 'StreamDeletedError') return new StreamDeletedError(error.stream!);
  return Object.assign(new Error(error.message), { name: error.name }, error.code !== undefined ? { code: error.code } : {});
}
