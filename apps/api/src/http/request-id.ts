import type { NextFunction, Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import type { TracedRequest } from './request-context';

/**
 * What a proxy or client may send as X-Request-Id: 16-64 hex digits and dashes (a UUID, nginx's
 * $request_id, a trace id). Nothing a person would type: the id is logged and kept as the events'
 * correlation id in clear, so an MRN, a name or a date of birth must never pass for one.
 */
const ACCEPTABLE_REQUEST_ID = /^[0-9A-Fa-f-]{16,64}$/;

/** The caller's X-Request-Id when it is acceptable, else a new UUID. */
export function requestIdOf(given: string | string[] | undefined): string {
  return typeof given === 'string' && ACCEPTABLE_REQUEST_ID.test(given) ? given : randomUUID();
}

/**
 * Every request's id: the correlation id of the events it appends, the `requestId` of its log
 * lines, and the X-Request-Id of its answer.
 */
export function requestId(req: Request, res: Response, next: NextFunction): void {
  const id = requestIdOf(req.headers['x-request-id']);
  (req as TracedRequest).correlationId = id;
  res.setHeader('X-Request-Id', id);
  next();
}
