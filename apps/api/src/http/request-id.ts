import type { NextFunction, Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import type { TracedRequest } from './request-context';

/** What a proxy or client may send as X-Request-Id: a short token, nothing that could be a sentence or markup. */
const ACCEPTABLE_REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

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
