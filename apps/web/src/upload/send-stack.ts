import { authHeaders } from '../api/client';
import { ApiError, describeStatus, type Problem } from '../api/problem';

export interface SentStack {
  stackId: string;
  /** The server had this file already (200): the same stack, nothing new. */
  again: boolean;
}

/**
 * Sends one stack (multipart, one `file`) with its SHA-256 as the `Idempotency-Key`, reporting the
 * bytes sent: fetch() has no upload progress, so this call uses XMLHttpRequest, as sendUpload does.
 */
export function sendStack(file: File, sha256: string, onProgress: (fraction: number) => void, signal: AbortSignal): Promise<SentStack> {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    form.append('file', file, file.name);
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/stacks');
    for (const [name, value] of Object.entries(authHeaders()))
      if (name !== 'X-Purpose-Of-Use' && name !== 'X-Emergency-Justification') xhr.setRequestHeader(name, value);
    xhr.setRequestHeader('Idempotency-Key', sha256);
    xhr.responseType = 'text';
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onload = () => {
      const body = parse(xhr.responseText);
      const stackId =
        body && typeof body === 'object' && typeof (body as { stackId?: unknown }).stackId === 'string' ? (body as { stackId: string }).stackId : null;
      if ((xhr.status === 202 || xhr.status === 200) && stackId) resolve({ stackId, again: xhr.status === 200 });
      else reject(new ApiError({ ...(body && typeof body === 'object' ? (body as Problem) : { detail: describeStatus(xhr.status) }), status: xhr.status }));
    };
    xhr.onerror = () => reject(new ApiError({ status: 0, detail: describeStatus(0) }));
    xhr.onabort = () => reject(new ApiError({ status: 0, detail: 'The upload was cancelled.' }));
    signal.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(form);
  });
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
