import type { FieldError } from '@medrec/domain';

/** RFC 9457 problem details. Extension members (e.g. a tombstone) sit beside the standard ones. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** An answer already written as a problem, extension members included (e.g. the failed health checks). */
export class ProblemException extends Error {
  constructor(readonly problem: ProblemDetails) {
    super(problem.detail ?? problem.title);
    this.name = 'ProblemException';
  }
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  410: 'Gone',
  411: 'Length Required',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  499: 'Client Closed Request',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function problem(status: number, detail?: string, extra: Partial<ProblemDetails> = {}): ProblemDetails {
  const title = TITLES[status] ?? 'Error';
  return {
    type: `https://medrec.dev/problems/${title.toLowerCase().replace(/\s+/g, '-')}`,
    title,
    status,
    ...(detail ? { detail } : {}),
    ...extra,
  };
}

/** A body of thousands of unknown fields would otherwise answer a list many times its own size. */
export const MAX_LISTED_ERRORS = 100;

/**
 * The one answer to an invalid request (400), whatever was wrong with it: a body field, a query or
 * path parameter, a header, a cursor, or the body as a whole (`field: 'body'`). `errors` always
 * names what is wrong, one entry per field, never quoting a value; `detail` says it in a sentence
 * (the one error, or which fields), or for a body that could not be read at all, why.
 */
export function invalidRequestProblem(errors: FieldError[], detail = invalidDetail(errors)): ProblemDetails {
  if (errors.length <= MAX_LISTED_ERRORS) return problem(400, detail, { errors });
  return problem(400, `The request is invalid: ${errors.length} errors, the first ${MAX_LISTED_ERRORS} listed`, { errors: errors.slice(0, MAX_LISTED_ERRORS) });
}

function invalidDetail(errors: FieldError[]): string {
  if (errors.length === 1) {
    const [{ field, message }] = errors;
    // class-validator's messages already start with the property's name ("title must be a string").
    return `The request is invalid: ${message.startsWith(`${field} `) ? message : `${field} ${message}`}`;
  }
  const fields = [...new Set(errors.map((e) => e.field))];
  return fields.length > 0 && errors.length <= MAX_LISTED_ERRORS ? `The request is invalid: see ${fields.join(', ')}` : 'The request is invalid';
}

/** A request body that could not be read at all (not JSON, not UTF-8, too deep, a broken multipart form...). */
export function invalidBodyProblem(message: string): ProblemDetails {
  return invalidRequestProblem([{ field: 'body', message }], `The request body ${message}`);
}
