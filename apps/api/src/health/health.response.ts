import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** The bodies the health routes answer (OpenAPI only). */

export class Liveness {
  @ApiProperty({ enum: ['live'] })
  status: 'live';
}

export class ProjectionStatus {
  @ApiProperty()
  name: string;

  @ApiProperty({ type: 'integer', description: 'The last position applied' })
  position: number;

  @ApiProperty({ type: 'integer', description: 'Events of the store not yet applied' })
  lag: number;
}

export class Readiness {
  @ApiProperty({ enum: ['ready'] })
  status: 'ready';

  @ApiProperty({ type: 'integer', description: "The event store's head position" })
  position: number;

  @ApiProperty({ type: [ProjectionStatus] })
  projections: ProjectionStatus[];

  @ApiPropertyOptional({ description: 'While the projections keep failing: the type of their last error' })
  projectionError?: string;
}
