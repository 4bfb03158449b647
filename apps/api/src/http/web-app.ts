import express, { type NextFunction, type Request, type Response } from 'express';
import { existsSync } from 'node:fs';
import { join, sep } from 'node:path';

/** Paths the API owns; everything else that a browser asks for is the web app. */
const API_PREFIXES = ['/api/', '/docs', '/health/', '/metrics'];
export const isApiPath = (path: string): boolean => path === '/api' || API_PREFIXES.some((p) => path.startsWith(p));

const HASHED_ASSETS = `${sep}assets${sep}`;

/**
 * The built web app (apps/web → dist/web): hashed assets cached for a year, and index.html for
 * every other page path so that a shared or reloaded URL (e.g. /search?q=…) opens its screen.
 * An unknown /assets/ file falls through to the API's 404. Null when the app was not built, so
 * the API still runs alone.
 */
export function webApp(dir: string): ((req: Request, res: Response, next: NextFunction) => void) | null {
  const index = join(dir, 'index.html');
  if (!existsSync(index)) return null;
  const files = express.static(dir, {
    index: false,
    cacheControl: false,
    setHeaders: (res, path) => res.setHeader('Cache-Control', path.includes(HASHED_ASSETS) ? 'public, max-age=31536000, immutable' : 'no-cache'),
  });
  return (req, res, next) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || isApiPath(req.path)) {
      next();
      return;
    }
    files(req, res, () => {
      if (req.path.startsWith('/assets/')) {
        next();
        return;
      }
      // A screen of the app. The page itself is never cached, so a new build is picked up at once.
      res.setHeader('Cache-Control', 'no-cache');
      res.sendFile(index);
    });
  };
}
