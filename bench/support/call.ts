/**
 * One JSON call to the API for a benchmark; anything but 2xx throws with the status and body.
 * `T` is the answer's shape as the caller reads it (not checked: a bench trusts the API it measures).
 */
export async function call<T = unknown>(
  baseUrl: string,
  method: string,
  path: string,
  token?: string,
  body?: unknown,
  extra: Record<string, string> = {},
): Promise<T> {
  const headers: Record<string, string> = { ...extra };
  if (token) headers.authorization = `Bearer ${token}`;
  let payload: string | FormData | undefined;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const res = await fetch(baseUrl + path, { method, headers, body: payload });
  const json: unknown = await res.json();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json as T;
}

/** A bearer token for the user. */
export async function signIn(baseUrl: string, username: string, password: string): Promise<string> {
  return (await call<{ accessToken: string }>(baseUrl, 'POST', '/api/auth/token', undefined, { username, password })).accessToken;
}
