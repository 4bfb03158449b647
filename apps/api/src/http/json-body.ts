import express, { NextFunction, Request, Response } from 'express';
import { isUtf8 } from 'node:buffer';
import { invalidBodyProblem, invalidRequestProblem, PROBLEM_CONTENT_TYPE } from '../problem/problem';
import { bodyParserProblem } from '../problem/problem-details.filter';
import { jsonShapeExcess, JsonShapeLimits } from './json-shape';

/**
 * Far beyond any request of the API (a release's `recipient.name` is 2 deep; a body of the size
 * limit holds some 6,700 record ids): recursive walks past this depth cost stack, and validation
 * and field errors of 100,000 tiny members cost a second of CPU.
 */
export const JSON_SHAPE_LIMITS: JsonShapeLimits = { maxDepth: 32, maxMembers: 10_000 };

/**
 * JSON bodies: UTF-8 only (RFC 8259), uncompressed, at most `limit` bytes and within
 * JSON_SHAPE_LIMITS, the last two checked on the raw bytes before JSON.parse sees them. Refusals answer
 * problem+json here: they happen before Nest's filters, and before authentication.
 */
export function jsonBody(limit: number) {
  const parse = express.json({ limit, inflate: false, verify: checkRawJson, type: ['application/json', 'application/*+json'] });
  return (req: Request, res: Response, next: NextFunction): void =>
    parse(req, res, (error?: unknown) => {
      const field = error ? undefined : forbiddenKey(req.body);
      if (!error && !field) return next();
      const body = field
        ? invalidRequestProblem([{ field, message: 'is not an allowed field' }])
        : (bodyParserProblem(error) ?? invalidBodyProblem('could not be read'));
      res.status(body.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
    });
}

/** A refusal in body-parser's shape (`status`, `type`), which bodyParserProblem words. */
class JsonBodyRefusal extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly limit?: number,
  ) {
    super(type);
  }
}

/** body-parser's `verify` hook: the raw bytes and the declared charset (utf-8 when none is given). */
function checkRawJson(_req: unknown, _res: unknown, bytes: Buffer, charset: string | null): void {
  if (charset !== 'utf-8') throw new JsonBodyRefusal(415, 'charset.unsupported');
  // A UTF-8 byte order mark is valid UTF-8 and ignored, as RFC 8259 allows; UTF-16/32 ones are not.
  if (!isUtf8(bytes)) throw new JsonBodyRefusal(400, 'entity.encoding.invalid');
  const excess = jsonShapeExcess(bytes, JSON_SHAPE_LIMITS);
  if (excess === 'too-deep') throw new JsonBodyRefusal(400, 'entity.too.deep', JSON_SHAPE_LIMITS.maxDepth);
  if (excess === 'too-many-members') throw new JsonBodyRefusal(400, 'entity.too.wide', JSON_SHAPE_LIMITS.maxMembers);
}

/** Keys that could reach object prototypes; the unknown-field check never sees them, so refuse them here. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** The path of the first forbidden key, walked with an explicit stack (the depth is bounded, but stays off the call stack). */
function forbiddenKey(body: unknown): string | undefined {
  const pending: Array<{ value: unknown; path: string }> = [{ value: body, path: '' }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const { value, path } = next;
    if (value === null || typeof value !== 'object') continue;
    for (const key of Object.keys(value)) {
      const field = path ? `${path}.${key}` : key;
      if (FORBIDDEN_KEYS.has(key)) return field;
      pending.push({ value: (value as Record<string, unknown>)[key], path: field });
    }
  }
  return undefined;
}
