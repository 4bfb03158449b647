import { Controller, Get, Inject, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Public } from '@medrec/auth';
import { EVENT_STORE, EventStore } from '@medrec/event-store';
import { ProjectionRunner } from '@medrec/read-models';
import { ApiProblems, ApiSummary } from '../http/api-docs';
import { Liveness, Readiness } from './health.response';

@ApiTags('health')
@Controller('health')
@Public()
// The JSON body parser runs before every route: a request with a body it cannot read answers 400.
@ApiProblems(400)
export class HealthController {
  constructor(
    @Inject(EVENT_STORE) private readonly events: EventStore,
    private readonly projections: ProjectionRunner,
  ) {}

  @Get('live')
  @ApiSummary('Liveness: the process answers', { public: true })
  @ApiOkResponse({ type: Liveness })
  live() {
    return { status: 'live' };
  }

  /**
   * Ready once the app has started and its event store answers; reports each projection's lag
   * (events behind) and, while the projections keep failing, the type of their last error.
   */
  @Get('ready')
  @ApiSummary('Readiness: the event store answers; the projections and their lag', { public: true })
  @ApiOkResponse({ type: Readiness })
  @ApiProblems(503)
  async ready() {
    try {
      const projectionError = this.projections.lastError();
      return {
        status: 'ready',
        position: await this.events.headPosition(),
        projections: await this.projections.status(),
        ...(projectionError ? { projectionError } : {}),
      };
    } catch {
      throw new ServiceUnavailableException('The event store is not reachable');
    }
  }
}
