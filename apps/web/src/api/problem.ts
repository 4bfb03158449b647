/** An RFC 9457 problem as the API answers it. */
export interface Problem {
  type?: string;
  title?: string;
  status: number;
  detail?: string;
  errors?: { field: string; message: string }[];
  [extension: string]: unknown;
}

/** A failed API call, carrying the server's problem; its message is the problem's detail, in words. */
export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title ?? `The server answered ${problem.status}`);
    this.name = 'ApiError';
  }

  get status(): number {
    return this.problem.status;
  }
}

/** The problem in an answer (problem+json or not), or one made up from its status. */
export async function problemOf(response: Response): Promise<Problem> {
  const type = response.headers.get('content-type') ?? '';
  if (/json/.test(type)) {
    try {
      const body = (await response.json()) as Partial<Problem>;
      return { ...body, status: response.status };
    } catch {
      // fall through: an unreadable body is described by its status
    }
  }
  return { status: response.status, title: response.statusText || 'Request failed', detail: describeStatus(response.status) };
}

export function describeStatus(status: number): string {
  if (status === 0) return 'The server could not be reached. Check the connection and try again.';
  if (status === 413) return 'The file is too large.';
  if (status === 429) return 'Too many attempts: wait a moment and try again.';
  if (status >= 500) return 'The server could not complete the request. Try again; if it keeps failing, tell your administrator.';
  return `The request failed (${status}).`;
}
