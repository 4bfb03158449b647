import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** The bodies the matter-hold routes answer (OpenAPI only). */

export class PlacedMatterHold {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ type: String, format: 'uuid', isArray: true, description: 'The records held now' })
  recordIds: string[];

  @ApiProperty({ type: 'integer' })
  position: number;
}

export class MatterHold {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ type: String, nullable: true, description: "null once the hold's key is gone" })
  matter: string | null;

  @ApiProperty({ type: String, nullable: true })
  reason: string | null;

  @ApiProperty({ type: String, format: 'uuid', isArray: true })
  recordIds: string[];

  @ApiPropertyOptional({ description: 'For a hold over every record of a patient' })
  mrn?: string;

  @ApiProperty()
  placedBy: string;

  @ApiProperty({ format: 'date-time' })
  placedAt: string;

  @ApiPropertyOptional()
  liftedBy?: string;

  @ApiPropertyOptional({ format: 'date-time' })
  liftedAt?: string;
}

export class MatterHolds {
  @ApiProperty({ type: [MatterHold] })
  holds: MatterHold[];
}
