import { Inject, Logger, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { metricsAccess } from './metrics-access';
import { PrometheusMetrics } from './prometheus-metrics';

/**
 * For a process without an HTTP server of its own (the OCR worker): GET /metrics on
 * MEDREC_METRICS_PORT (on HOST), under the same access rule as the API's. Nothing listens when the
 * port is not set.
 */
@Module({})
export class MetricsServerModule implements OnApplicationBootstrap, OnApplicationShutdown {
  private server?: Server;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(PrometheusMetrics) private readonly metrics: PrometheusMetrics,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { port } = this.config.metrics;
    if (port === undefined) return;
    const server = createServer((req, res) => void this.answer(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.config.host, () => resolve());
    });
    this.server = server;
    new Logger('Metrics').log(`Metrics on http://${this.config.host}:${this.address?.port ?? port}/metrics`);
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }

  /** The port as it listens (for tests that ask for port 0). */
  get address(): { port: number } | undefined {
    const address = this.server?.address();
    return address && typeof address === 'object' ? { port: address.port } : undefined;
  }

  private async answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (new URL(req.url ?? '/', 'http://x').pathname !== '/metrics') return problem(res, 404, 'Not Found', 'Only /metrics is served on this port');
    if (req.method !== 'GET' && req.method !== 'HEAD') return problem(res, 405, 'Method Not Allowed', 'GET /metrics');
    switch (metricsAccess(this.config.metrics.token, { remoteAddress: req.socket.remoteAddress, headers: req.headers })) {
      case 'unauthorized':
        return problem(res, 401, 'Unauthorized', 'The metrics need the bearer token configured in MEDREC_METRICS_TOKEN');
      case 'forbidden':
        return problem(res, 403, 'Forbidden', 'Without MEDREC_METRICS_TOKEN the metrics answer only to clients on this machine, not through a proxy');
    }
    try {
      const body = await this.metrics.render();
      res.writeHead(200, { 'Content-Type': this.metrics.contentType, 'Cache-Control': 'no-store' }).end(req.method === 'HEAD' ? undefined : body);
    } catch (error) {
      problem(res, 500, 'Internal Server Error', `The metrics could not be collected (${(error as Error).name})`);
    }
  }
}

function problem(res: ServerResponse, status: number, title: string, detail: string): void {
  const body = { type: `https://medrec.dev/problems/${title.toLowerCase().replace(/\s+/g, '-')}`, title, status, detail };
  res.writeHead(status, { 'Content-Type': 'application/problem+json' }).end(JSON.stringify(body));
}
