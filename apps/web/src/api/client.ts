import createClient, { type Middleware } from 'openapi-fetch';
import { ApiError, problemOf } from './problem';
import type { paths } from './schema';
import type { Purpose } from './types';

/** What every call carries: the bearer token and, for reads of patient data, the declared purpose. */
interface Credentials {
  token?: string;
  purpose?: string;
  justification?: string;
}

let credentials: Credentials = {};
let unauthorized: () => void = () => undefined;

/** Set by the session: the token lives in memory only (never in storage). */
export function setCredentials(next: Credentials): void {
  credentials = next;
}

/** Called when the server answers 401 to a signed-in call (expired or revoked token). */
export function onUnauthorized(handler: () => void): void {
  unauthorized = handler;
}

export function authHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  if (credentials.token) headers.Authorization = `Bearer ${credentials.token}`;
  if (credentials.purpose) headers['X-Purpose-Of-Use'] = credentials.purpose;
  if (credentials.purpose === 'emergency' && credentials.justification) headers['X-Emergency-Justification'] = credentials.justification;
  return headers;
}

const withCredentials: Middleware = {
  onRequest({ request }) {
    for (const [name, value] of Object.entries(authHeaders())) if (!request.headers.has(name)) request.headers.set(name, value);
    return request;
  },
  onResponse({ response, request }) {
    if (response.status === 401 && request.headers.has('Authorization')) unauthorized();
    return response;
  },
};

/** The API client, typed from the server's OpenAPI document (src/api/schema.d.ts, generated). */
export const api = createClient<paths>({ baseUrl: '' });
api.use(withCredentials);

/**
 * The body of a successful answer, typed as the OpenAPI document describes it (`T` when a caller
 * names the type instead), or an ApiError with the server's problem.
 */
export async function expectOk<T = never, D = unknown>(
  call: Promise<{ response: Response; data?: D; error?: unknown }>,
): Promise<[T] extends [never] ? D : NoInfer<T>> {
  let result;
  try {
    result = await call;
  } catch {
    throw new ApiError({ status: 0, detail: 'The server could not be reached. Check the connection and try again.' });
  }
  if (!result.response.ok) {
    const error = result.error;
    throw new ApiError(error && typeof error === 'object' ? { ...error, status: result.response.status } : await problemOf(result.response));
  }
  return result.data as [T] extends [never] ? D : T;
}

/** A binary answer (an image, a PDF) fetched with the credentials, as an object URL the caller revokes. */
export async function fetchBlob(path: string, accept?: string): Promise<Blob> {
  let response: Response;
  try {
    response = await fetch(path, { headers: { ...authHeaders(), ...(accept ? { Accept: accept } : {}) } });
  } catch {
    throw new ApiError({ status: 0, detail: 'The server could not be reached. Check the connection and try again.' });
  }
  if (response.status === 401 && credentials.token) unauthorized();
  if (!response.ok) throw new ApiError(await problemOf(response));
  return response.blob();
}

/** The purpose header that reads of patient data require (the session has set it before any such screen shows). */
export function purposeHeader(): { 'X-Purpose-Of-Use': Purpose } {
  return { 'X-Purpose-Of-Use': (credentials.purpose ?? 'treatment') as Purpose };
}
