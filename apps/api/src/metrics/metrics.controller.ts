import { Controller, ForbiddenException, Get, Header, Inject, Req, UnauthorizedException } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Public } from '@medrec/auth';
import { APP_CONFIG, AppConfig, metricsAccess, PrometheusMetrics } from '@medrec/platform';
import { ApiProblems, ApiSummary } from '../http/api-docs';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

@ApiTags('metrics')
@Controller('metrics')
// No user token: its own (MEDREC_METRICS_TOKEN), or loopback only (metrics-access.ts).
@Public()
@ApiProblems(400)
export class MetricsController {
  constructor(
    private readonly metrics: PrometheusMetrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  @ApiSummary('Metrics in the Prometheus text format: the bearer token MEDREC_METRICS_TOKEN, or from loopback when none is set', { public: true })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'Prometheus text exposition format 0.0.4', content: { 'text/plain': { schema: { type: 'string' } } } })
  @ApiProblems(401, 403)
  @Header('Content-Type', PROMETHEUS_CONTENT_TYPE)
  @Header('Cache-Control', 'no-store')
  async scrape(@Req() req: Request): Promise<string> {
    switch (metricsAccess(this.config.metrics.token, { remoteAddress: req.socket.remoteAddress, headers: req.headers })) {
      case 'unauthorized':
        throw new UnauthorizedException('The metrics need the bearer token configured in MEDREC_METRICS_TOKEN');
      case 'forbidden':
        throw new ForbiddenException('Without MEDREC_METRICS_TOKEN the metrics answer only to clients on this machine, not through a proxy');
    }
    return this.metrics.render();
  }
}
