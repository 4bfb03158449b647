import express from 'express';
import { createServer, request, Agent, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { HttpDrain } from './http-drain';

/** A real server: `/slow` answers when the test says so, `/fast` at once. */
async function serve(): Promise<{ server: Server; drain: HttpDrain; port: number; release: () => void }> {
  const app = express();
  const server = createServer(app);
  const drain = new HttpDrain(server);
  app.use(drain.refuseWhileDraining);
  let release: () => void = () => undefined;
  const released = new Promise<void>((r) => (release = r));
  app.get('/slow', (_req, res) => void released.then(() => res.json({ done: true })));
  app.get('/fast', (_req, res) => void res.json({ done: true }));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, drain, port: (server.address() as AddressInfo).port, release };
}

function get(port: number, path: string, agent: Agent): Promise<{ res: IncomingMessage; body: string }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, agent }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ res, body }));
    })
      .on('error', reject)
      .end();
  });
}

describe('HttpDrain', () => {
  it('answers the request in flight, refuses a new one on a connection still open with 503, and closes idle keep-alive connections', async () => {
    const { server, drain, port, release } = await serve();
    const agent = new Agent({ keepAlive: true });
    const idleAgent = new Agent({ keepAlive: true });
    try {
      await get(port, '/fast', idleAgent); // leaves an idle keep-alive connection
      const idle = Object.values(idleAgent.freeSockets).flat();
      expect(idle).toHaveLength(1);
      const idleClosed = new Promise((r) => idle[0]!.once('close', () => r(true)));
      const inFlight = get(port, '/slow', agent);
      // A request whose headers are still arriving when the drain begins: new, on a busy connection.
      const raw = connect(port, '127.0.0.1');
      let answer = '';
      raw.on('data', (d: Buffer) => (answer += d.toString()));
      const rawClosed = new Promise((r) => raw.once('close', r));
      raw.write('GET /fast HTTP/1.1\r\nHost: test\r\n');
      await new Promise((r) => setTimeout(r, 50));

      const drained = drain.drain(Date.now() + 5_000);
      raw.write('\r\n');
      await rawClosed;
      expect(answer).toMatch(/^HTTP\/1\.1 503 /);
      expect(answer).toMatch(/\r\nretry-after: 5\r\n/i);
      expect(answer).toMatch(/\r\nconnection: close\r\n/i);
      expect(answer).toMatch(/\r\ncontent-type: application\/problem\+json/i);
      expect(await idleClosed).toBe(true);
      await expect(get(port, '/fast', new Agent())).rejects.toMatchObject({ code: 'ECONNREFUSED' });

      release();
      const answered = await inFlight;
      expect(answered.res.statusCode).toBe(200);
      expect(answered.res.headers.connection).toBe('close');
      expect(await drained).toBe(true);
      expect(drain.requestsInFlight).toBe(0);
    } finally {
      agent.destroy();
      idleAgent.destroy();
      server.closeAllConnections();
    }
  });

  it('gives up at the deadline on a request that does not end; cut() then ends its connection', async () => {
    const { drain, port } = await serve();
    const agent = new Agent({ keepAlive: true });
    try {
      const hanging = get(port, '/slow', agent).catch((error: NodeJS.ErrnoException) => error.code);
      await new Promise((r) => setTimeout(r, 50));
      expect(await drain.drain(Date.now() + 100)).toBe(false);
      expect(drain.requestsInFlight).toBe(1);
      drain.cut();
      expect(await hanging).toBe('ECONNRESET');
    } finally {
      agent.destroy();
    }
  });
});
