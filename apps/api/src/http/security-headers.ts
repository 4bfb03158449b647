import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import { isApiPath } from './web-app';

/** API answers are data, never a page: nothing may load from them, nothing may frame them. */
const API_POLICY = {
  'default-src': ["'none'"],
  'frame-ancestors': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'none'"],
};

/** Swagger UI: its own scripts, its inline <style> blocks, data: icons, and "try it out" calls to this origin. */
const DOCS_POLICY = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'style-src': ["'self'", "'unsafe-inline'"],
  'img-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'object-src': ["'none'"],
  'frame-ancestors': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'self'"],
};

/**
 * The web app: its own hashed scripts and styles only (no inline script or style), page images and
 * downloads as blob: URLs of authorised fetches, API calls to this origin.
 */
const WEB_APP_POLICY = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'style-src': ["'self'"],
  'img-src': ["'self'", 'blob:', 'data:'],
  'connect-src': ["'self'"],
  'object-src': ["'none'"],
  'frame-ancestors': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'self'"],
};

const withPolicy = (directives: Record<string, string[]>) =>
  helmet({
    contentSecurityPolicy: { useDefaults: false, directives },
    xFrameOptions: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    // The embedded default serves plain HTTP, where browsers ignore HSTS; the TLS terminator in
    // front of a deployment sets it for the whole host (README: Security headers).
    strictTransportSecurity: false,
  });

/** helmet's headers on every answer (nosniff, no framing, no referrer), errors included; a CSP per kind of answer. */
export function securityHeaders() {
  const api = withPolicy(API_POLICY);
  const docs = withPolicy(DOCS_POLICY);
  const web = withPolicy(WEB_APP_POLICY);
  return (req: Request, res: Response, next: NextFunction): void => (isDocsPage(req.path) ? docs : isWebAppPage(req.path) ? web : api)(req, res, next);
}

/** Anything outside the API's own paths is a page or an asset of the web app. */
const isWebAppPage = (path: string): boolean => !isApiPath(path);

/** /docs and its assets; /docs-json is data and gets the API policy. */
const isDocsPage = (path: string): boolean => path === '/docs' || path.startsWith('/docs/');

/** Stored documents are the uploader's bytes: sandboxed (no script, no same origin) should a browser render one. */
export const STORED_CONTENT_POLICY = "sandbox; default-src 'none'; frame-ancestors 'none'";
