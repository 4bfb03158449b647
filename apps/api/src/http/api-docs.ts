import { applyDecorators } from '@nestjs/common';
import { ApiOperation, ApiResponse, type SchemaObject } from '@nestjs/swagger';
import { PROBLEM_CONTENT_TYPE } from '../problem/problem';

/**
 * How the OpenAPI document describes errors and authentication: the one place the controllers'
 * documentation decorators come from, so that every operation says the same thing the same way.
 */

/** The document's component for every error answer (RFC 9457, as ProblemDetailsFilter writes it). */
export const PROBLEM_SCHEMA_NAME = 'Problem';

export const PROBLEM_SCHEMA: SchemaObject = {
  type: 'object',
  description:
    "RFC 9457 problem details (application/problem+json). Extension members may sit beside the standard ones, e.g. a destroyed record's tombstone (`id`, `recordStatus`, `destroyedAt`, `authority`) on a 410 or `currentRevision` on a stale If-Match.",
  required: ['type', 'title', 'status'],
  properties: {
    type: { type: 'string', description: 'A URI naming the kind of problem', example: 'https://medrec.dev/problems/bad-request' },
    title: { type: 'string', description: "The status's title", example: 'Bad Request' },
    status: { type: 'integer', description: 'The HTTP status', example: 400 },
    detail: { type: 'string', description: 'What went wrong, in a sentence (never PHI)' },
    errors: {
      type: 'array',
      description: 'For an invalid request: one entry per field, parameter or header, never quoting a value',
      items: {
        type: 'object',
        required: ['field', 'message'],
        properties: { field: { type: 'string', example: 'mrn' }, message: { type: 'string' } },
      },
    },
  },
  additionalProperties: true,
};

/** What each status an operation may answer means in this API (API.md "Errors"). */
const PROBLEM_DESCRIPTIONS = {
  400: 'Invalid request: a body field, parameter or header (listed in `errors`)',
  401: 'No bearer token, or an expired, revoked or unknown one',
  403: 'Your roles (or the declared purpose of use) do not permit this',
  404: 'No such resource',
  406: 'The Accept header names no representation this operation has',
  409: 'Conflict: a stale revision (If-Match), a duplicate, or a rule of the workflow (e.g. a legal hold stands)',
  410: 'The record was destroyed (the problem carries its tombstone)',
  413: 'The request body or file is too large',
  415: 'Unsupported media type (or charset), or an unreadable file',
  422: 'The file was refused after inspection (encrypted, corrupt, too many pages or pixels)',
  429: 'Too many sign-in attempts: wait (Retry-After) and try again',
  503: 'Not available yet: the read side has not caught up (Retry-After), or the service is busy',
} as const;

export type ProblemStatus = keyof typeof PROBLEM_DESCRIPTIONS;

/** The error answers an operation can give, each an application/problem+json body of the Problem schema. */
export const ApiProblems = (...statuses: ProblemStatus[]): MethodDecorator & ClassDecorator =>
  applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: PROBLEM_DESCRIPTIONS[status],
        content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: `#/components/schemas/${PROBLEM_SCHEMA_NAME}` } } },
      }),
    ),
  );

/**
 * On a controller (or operation) whose routes require a bearer token: the 401 and 403 every such
 * route can answer. The scheme itself is applied by RequirePermission (ApiBearerAuth), route by route.
 */
export const ApiAuthenticated = (): MethodDecorator & ClassDecorator => ApiProblems(401, 403);

/** An operation's summary, for people; `security: []` marks a route anyone may call (Public()). */
export const ApiSummary = (summary: string, options: { public?: boolean } = {}): MethodDecorator =>
  ApiOperation({ summary, ...(options.public ? { security: [] } : {}) });

/** A binary answer (a PDF, a PNG, a ZIP, a file's original bytes) of one of `types`. */
export const binaryContent = (...types: string[]) => Object.fromEntries(types.map((type) => [type, { schema: { type: 'string' as const, format: 'binary' } }]));
