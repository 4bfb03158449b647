import type { CreatedRecord } from '../api/types';
import type { RecordFields } from './fields';
import { postWithProgress } from './post-with-progress';

/** Sends one file as a new record (multipart), reporting the bytes sent. */
export async function sendUpload(file: File, fields: RecordFields, onProgress: (fraction: number) => void, signal: AbortSignal): Promise<CreatedRecord> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields) as [string, string][]) if (value.trim() !== '') form.append(name, value.trim());
  form.append('file', file, file.name);
  const { body } = await postWithProgress('/api/records', form, [201], onProgress, signal);
  return body as CreatedRecord;
}
