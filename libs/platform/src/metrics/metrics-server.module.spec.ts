import type { AppConfig } from '../config/app-config';
import { MetricsServerModule } from './metrics-server.module';
import { PrometheusMetrics } from './prometheus-metrics';

/** The worker's metrics listener, on a port of its own (0 here: any free one). */
describe('MetricsServerModule', () => {
  const serve = async (metrics: AppConfig['metrics']) => {
    const prometheus = new PrometheusMetrics();
    prometheus.eventsAppended(7);
    const server = new MetricsServerModule({ host: '127.0.0.1', metrics } as AppConfig, prometheus);
    await server.onApplicationBootstrap();
    return { server, base: `http://127.0.0.1:${server.address?.port}` };
  };

  it('listens only when MEDREC_METRICS_PORT is set', async () => {
    const { server } = await serve({});
    expect(server.address).toBeUndefined();
    await server.onApplicationShutdown();
  });

  it('serves GET /metrics to loopback and nothing else', async () => {
    const { server, base } = await serve({ port: 0 });
    try {
      const res = await fetch(`${base}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(await res.text()).toContain('medrec_events_appended_total 7');
      expect((await fetch(`${base}/metrics`, { headers: { 'x-forwarded-for': '198.51.100.1' } })).status).toBe(403);
      const other = await fetch(`${base}/health/ready`);
      expect([other.status, other.headers.get('content-type')]).toEqual([404, 'application/problem+json']);
      expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
    } finally {
      await server.onApplicationShutdown();
    }
  });

  it('requires MEDREC_METRICS_TOKEN when one is set', async () => {
    const token = 'b'.repeat(32);
    const { server, base } = await serve({ port: 0, token });
    try {
      expect((await fetch(`${base}/metrics`)).status).toBe(401);
      expect((await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    } finally {
      await server.onApplicationShutdown();
    }
  });
});
