import type { Request, Response } from 'express';

/** nginx's "client closed request": the status recorded for an answer nobody was left to read. */
export const CLIENT_CLOSED_REQUEST = 499;

/** The client hung up before its request was answered: the work for it was stopped, nothing was kept. */
export class ClientGoneError extends Error {
  constructor() {
    super('The client closed the connection before the request was answered');
    this.name = 'ClientGoneError';
  }
}

const SIGNAL = Symbol('clientGone');

/**
 * An AbortSignal for this request: aborted (reason ClientGoneError) when the connection closes
 * before the answer was sent in full. Long work done for a request (inspecting an upload)
 * observes it and stops; the command then records nothing. One signal per request.
 */
export function clientGone(req: Request, res: Response): AbortSignal {
  const holder = req as Request & { [SIGNAL]?: AbortSignal };
  if (holder[SIGNAL]) return holder[SIGNAL];
  const controller = new AbortController();
  holder[SIGNAL] = controller.signal;
  const onClose = () => {
    if (!res.writableFinished) controller.abort(new ClientGoneError());
  };
  if (req.socket.destroyed) onClose();
  else res.once('close', onClose);
  return controller.signal;
}
