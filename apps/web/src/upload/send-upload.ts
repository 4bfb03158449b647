import { authHeaders } from '../api/client';
import { ApiError, describeStatus, type Problem } from '../api/problem';
import type { CreatedRecord } from '../api/types';
import type { RecordFields } from './fields';

/**
 * Sends one file as a new record (multipart), reporting the bytes sent: fetch() has no upload
 * progress, so this one call uses XMLHttpRequest.
 */
export function sendUpload(file: File, fields: RecordFields, onProgress: (fraction: number) => void, signal: AbortSignal): Promise<CreatedRecord> {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    for (const [name, value] of Object.entries(fields) as [string, string][]) if (value.trim() !== '') form.append(name, value.trim());
    form.append('file', file, file.name);
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/records');
    for (const [name, value] of Object.entries(authHeaders()))
      if (name !== 'X-Purpose-Of-Use' && name !== 'X-Emergency-Justification') xhr.setRequestHeader(name, value);
    xhr.responseType = 'text';
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onload = () => {
      const body = parse(xhr.responseText);
      if (xhr.status === 201) resolve(body as CreatedRecord);
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
