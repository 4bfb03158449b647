import { Inject, Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { Metrics, METRICS } from '@medrec/platform';
import { CLIENT_CLOSED_REQUEST } from '../http/client-gone';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** Times every request to the controllers' routes, labelled by the route's template, never its URL. */
@Injectable()
export class HttpMetricsMiddleware implements NestMiddleware {
  constructor(@Inject(METRICS) private readonly metrics: Metrics) {}

  use(req: Request, res: Response, next: NextFunction): void {
    const started = performance.now();
    res.once('close', () => {
      this.metrics.requestHandled({
        method: METHODS.has(req.method) ? req.method : 'OTHER',
        route: routeTemplate(req),
        status: res.writableFinished ? res.statusCode : CLIENT_CLOSED_REQUEST,
        seconds: (performance.now() - started) / 1000,
      });
    });
    next();
  }
}

/**
 * The template of the route that answered (`/api/records/:id`), as the router matched it. A
 * request no route matched is `unmatched`: its path may be anything (a scan, a typo, an MRN).
 */
export function routeTemplate(req: Request): string {
  const path = (req.route as { path?: unknown } | undefined)?.path;
  return typeof path === 'string' ? path : 'unmatched';
}
