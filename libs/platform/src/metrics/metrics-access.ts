import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export type MetricsAccess = 'allowed' | 'unauthorized' | 'forbidden';

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/**
 * Who may read the metrics. With MEDREC_METRICS_TOKEN set: whoever sends it as a bearer token.
 * Without: only a client on this machine talking to the process directly. A request that came
 * through a proxy (it names a forwarded client) is refused even from loopback, so that a reverse
 * proxy on the same host does not publish the metrics to whoever reaches the proxy.
 */
export function metricsAccess(token: string | undefined, request: { remoteAddress?: string; headers: IncomingHttpHeaders }): MetricsAccess {
  if (token !== undefined) {
    const given = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1];
    return given !== undefined && sameSecret(given, token) ? 'allowed' : 'unauthorized';
  }
  const forwarded = request.headers.forwarded !== undefined || request.headers['x-forwarded-for'] !== undefined;
  return !forwarded && LOOPBACK.has(request.remoteAddress ?? '') ? 'allowed' : 'forbidden';
}

/** Compared as digests: equal lengths for timingSafeEqual, and no early exit on the first differing byte. */
function sameSecret(given: string, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
