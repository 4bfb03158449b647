import { Controller, Get, Inject, ServiceUnavailableException } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Public } from '@medrec/auth';
import { EVENT_STORE, EventStore } from '@medrec/event-store';
import { ProjectionRunner } from '@medrec/read-models';

@ApiTags('health')
@Controller('health')
@Public()
export class HealthController {
  constructor(
    @Inject(EVENT_STORE) private readonly events: EventStore,
    private readonly projections: ProjectionRunner,
  ) {}

  @Get('live')
  live() {
    return { status: 'live' };
  }

  /**
   * Ready once the app has started and its event store answers; reports each projection's lag
   * (events behind) and, while the projections keep failing, the type of their last error.
   */
  @Get('ready')
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
