import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { problem, PROBLEM_CONTENT_TYPE } from '../problem/problem';

/** Seconds a client refused during shutdown should wait: another instance, or this one restarted. */
const RETRY_AFTER_SECONDS = 5;

/**
 * The HTTP side of a graceful shutdown. `drain()` stops accepting connections, answers every new
 * request 503 (problem+json, Retry-After, Connection: close), lets the requests in flight finish
 * (an upload under way completes, or is refused whole: nothing is acknowledged and then lost) and
 * closes each connection once its last answer is sent, so idle keep-alive connections hold nothing open.
 */
export class HttpDrain {
  private draining = false;
  private readonly inFlight = new Set<ServerResponse>();
  private onIdle?: () => void;

  constructor(private readonly server: Server) {
    server.on('request', (_req: IncomingMessage, res: ServerResponse) => {
      this.inFlight.add(res);
      if (this.draining) closeAfter(res);
      res.once('close', () => {
        this.inFlight.delete(res);
        if (!this.draining) return;
        this.server.closeIdleConnections();
        if (this.inFlight.size === 0) this.onIdle?.();
      });
    });
  }

  /** The middleware refusing new requests once draining (installed ahead of the routes). */
  readonly refuseWhileDraining = (_req: Request, res: Response, next: NextFunction): void => {
    if (!this.draining) return next();
    res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
    res.setHeader('Connection', 'close');
    res
      .status(503)
      .type(PROBLEM_CONTENT_TYPE)
      .send(JSON.stringify(problem(503, 'The server is shutting down: try again shortly')));
  };

  get requestsInFlight(): number {
    return this.inFlight.size;
  }

  /** Resolves once every request in flight has been answered (true), or at `deadline` (false). */
  async drain(deadline: number): Promise<boolean> {
    this.draining = true;
    this.server.close();
    for (const res of this.inFlight) closeAfter(res);
    this.server.closeIdleConnections();
    if (this.inFlight.size === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const idle = new Promise<boolean>((resolve) => {
      this.onIdle = () => resolve(true);
      timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()));
    });
    const done = await idle;
    clearTimeout(timer);
    return done;
  }

  /** Ends every connection still open, answered or not. */
  cut(): void {
    this.server.closeAllConnections();
  }
}

/** The connection closes once this answer is sent (unless its headers are out already). */
function closeAfter(res: ServerResponse): void {
  if (!res.headersSent) res.setHeader('Connection', 'close');
}
