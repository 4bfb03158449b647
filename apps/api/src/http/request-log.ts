import type { Request, Response } from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { pinoHttp, type HttpLogger } from 'pino-http';
import type { AuthenticatedRequest } from '@medrec/auth';
import { LOG_SERIALIZERS } from '@medrec/platform';
import type { TracedRequest } from './request-context';
import { isApiPath } from './web-app';

/** What one completed request is logged as: identifiers, the route's template and figures, never the URL itself. */
export interface RequestLogFields {
  userId: string | null;
  route: string;
  method: string;
  status: number;
  durationMs: number;
}

export const WEB_APP_ROUTE = '(web app)';
export const NO_ROUTE = '(no route)';

/**
 * One line per request, when it completes (or the client goes away): its request id, the
 * authenticated user's id, the route template, method, status and duration. Nothing else of the
 * request or the response: their URLs, query strings, bodies and headers may carry PHI or
 * credentials. Mounted before every other middleware, so that refusals by the body parsers are
 * logged too.
 */
export function requestLog(logger: Logger): HttpLogger<IncomingMessage, ServerResponse> {
  return pinoHttp({
    logger,
    serializers: LOG_SERIALIZERS,
    wrapSerializers: false,
    // The id the request-id middleware chose (an acceptable X-Request-Id or a new UUID).
    genReqId: (req) => (req as unknown as TracedRequest).correlationId,
    customAttributeKeys: { reqId: 'requestId', responseTime: 'durationMs' },
    // Logs made while handling a request carry its id only; the completion line carries the fields below only.
    quietReqLogger: true,
    quietResLogger: true,
    customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
    customSuccessMessage: () => 'request completed',
    customErrorMessage: () => 'request failed',
    customSuccessObject: (req, res, value: { durationMs: number }) => requestLogFields(req as Request, res as Response, value.durationMs),
    customErrorObject: (req, res, _error, value: { durationMs: number }) => requestLogFields(req as Request, res as Response, value.durationMs),
  });
}

function requestLogFields(req: Request, res: Response, durationMs: number): RequestLogFields {
  return {
    userId: (req as Partial<AuthenticatedRequest>).actor?.userId ?? null,
    route: routeTemplateOf(req),
    method: req.method,
    status: res.statusCode,
    durationMs,
  };
}

/**
 * The route's template (`/api/records/:id`), never the concrete path. A request answered before
 * routing (a body the parser refused) is matched against the routes here. Wildcard routes are
 * middleware mounted as routes (nestjs-pino's `{/*splat}`), never a controller's: no template.
 */
export function routeTemplateOf(req: Request): string {
  const routed = req.route as RouterLayer['route'];
  if (routed && isTemplate(routed)) return req.baseUrl + routed.path;
  const path = req.path;
  if (!isApiPath(path)) return WEB_APP_ROUTE;
  const method = req.method.toLowerCase();
  const stack = (req.app as unknown as { router?: { stack?: RouterLayer[] } }).router?.stack ?? [];
  for (const layer of stack) {
    const route = layer.route;
    if (route && isTemplate(route) && (route.methods[method] || (method === 'head' && route.methods.get)) && layer.match(path)) return route.path;
  }
  return NO_ROUTE;
}

const isTemplate = (route: NonNullable<RouterLayer['route']>): boolean => !route.methods._all && !route.path.includes('*');

interface RouterLayer {
  route?: { path: string; methods: Record<string, boolean | undefined> };
  match(path: string): unknown;
}
