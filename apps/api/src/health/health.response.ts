import { ApiExtraModels, ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';

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

/** One check's outcome, as terminus reports it, with what the check found (e.g. `position`, `maxLag`) or why it failed (`message`). */
export class CheckOutcome {
  @ApiProperty({ enum: ['up', 'down'] })
  status: 'up' | 'down';

  @ApiPropertyOptional({ description: 'Why the check failed: our own sentence and the error type, never a third-party message' })
  message?: string;

  [found: string]: unknown;
}

const CHECKS = {
  type: 'object',
  description: 'By check: eventStore, blobStore, keyStore, projections',
  additionalProperties: { $ref: getSchemaPath(CheckOutcome) },
} as const;

@ApiExtraModels(CheckOutcome)
export class Readiness {
  @ApiProperty({ enum: ['ready'] })
  status: 'ready';

  @ApiProperty({ type: 'integer', description: "The event store's head position" })
  position: number;

  @ApiProperty({ type: [ProjectionStatus] })
  projections: ProjectionStatus[];

  @ApiPropertyOptional({ description: 'While the projections keep failing: the type of their last error' })
  projectionError?: string;

  @ApiProperty({ ...CHECKS, description: 'The checks that passed (terminus)' })
  info: Record<string, CheckOutcome>;

  @ApiProperty({ ...CHECKS, description: 'The checks that failed (terminus): empty in a 200' })
  error: Record<string, CheckOutcome>;

  @ApiProperty({ ...CHECKS, description: 'Every check (terminus)' })
  details: Record<string, CheckOutcome>;
}
