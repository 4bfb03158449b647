import { Controller, Get, Inject, ServiceUnavailableException } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Public } from '@medrec/auth';
import { EVENT_STORE, EventStore } from '@medrec/event-store';

@ApiTags('health')
@Controller('health')
@Public()
export class HealthController {
  constructor(@Inject(EVENT_STORE) private readonly events: EventStore) {}

  @Get('live')
  live() {
    return { status: 'live' };
  }

  /** Ready once the app has started and its event store answers. */
  @Get('ready')
  async ready() {
    try {
      return { status: 'ready', position: await this.events.headPosition() };
    } catch {
      throw new ServiceUnavailableException('The event store is not reachable');
    }
  }
}
