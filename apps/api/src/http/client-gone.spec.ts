import type { Request, Response } from 'express';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { ProblemDetailsFilter } from '../problem/problem-details.filter';
import { ClientGoneError, clientGone } from './client-gone';

describe('clientGone', () => {
  let server: Server;
  let port: number;
  let signals: AbortSignal[];
  let hold: boolean;

  beforeEach(async () => {
    signals = [];
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const signal = clientGone(req as unknown as Request, res as unknown as Response);
      signals.push(signal);
      expect(clientGone(req as unknown as Request, res as unknown as Response)).toBe(signal);
      if (!hold) res.end('answered');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const until = async (condition: () => boolean) => {
    for (const deadline = Date.now() + 2_000; !condition();) {
      if (Date.now() > deadline) throw new Error('timed out');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };

  it('aborts with ClientGoneError when the client hangs up before the answer', async () => {
    hold = true;
    const socket = connect(port, '127.0.0.1', () => socket.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n'));
    await until(() => signals.length === 1);
    expect(signals[0].aborted).toBe(false);
    socket.destroy();
    await until(() => signals[0].aborted);
    expect(signals[0].reason).toBeInstanceOf(ClientGoneError);
  });

  it('does not abort once the answer was sent, whatever the connection does next', async () => {
    hold = false;
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('answered');
    server.closeAllConnections();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(signals[0].aborted).toBe(false);
  });

  it('becomes a 499 problem (client closed request), without details of the work', () => {
    const [status, body] = new ProblemDetailsFilter().toProblem(new ClientGoneError());
    expect([status, body.status, body.title]).toEqual([499, 499, 'Client Closed Request']);
  });
});
