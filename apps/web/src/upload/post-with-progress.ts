import { authHeaders } from '../api/client';
import { ApiError, describeStatus, type Problem } from '../api/problem';

/**
 * POSTs a multipart form, reporting the bytes sent (fetch() has no upload progress, so this uses
 * XMLHttpRequest), and resolves with the parsed JSON body when the status is one of `ok`; any other
 * answer rejects with an ApiError carrying the problem details. No purpose of use is sent: uploads
 * read no patient data.
 */
export function postWithProgress(
  path: string,
  form: FormData,
  ok: readonly number[],
  onProgress: (fraction: number) => void,
  signal: AbortSignal,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    for (const [name, value] of Object.entries(authHeaders()))
      if (name !== 'X-Purpose-Of-Use' && name !== 'X-Emergency-Justification') xhr.setRequestHeader(name, value);
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    xhr.responseType = 'text';
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onload = () => {
      const body = parse(xhr.responseText);
      if (ok.includes(xhr.status)) resolve({ status: xhr.status, body });
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
