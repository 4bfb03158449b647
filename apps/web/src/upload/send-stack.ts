import { ApiError, describeStatus } from '../api/problem';
import { postWithProgress } from './post-with-progress';

export interface SentStack {
  stackId: string;
  /** The server had this file already (200): the same stack, nothing new. */
  again: boolean;
}

/** Sends one stack (multipart, one `file`) with its SHA-256 as the `Idempotency-Key`, reporting the bytes sent. */
export async function sendStack(file: File, sha256: string, onProgress: (fraction: number) => void, signal: AbortSignal): Promise<SentStack> {
  const form = new FormData();
  form.append('file', file, file.name);
  const { status, body } = await postWithProgress('/api/stacks', form, [200, 202], onProgress, signal, { 'Idempotency-Key': sha256 });
  const stackId = (body as { stackId?: unknown } | null)?.stackId;
  if (typeof stackId !== 'string') throw new ApiError({ status, detail: describeStatus(status) });
  return { stackId, again: status === 200 };
}
