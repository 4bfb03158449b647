import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsNotEmpty, IsOptional, IsString, IsUUID } from 'class-validator';
import { isMrn, isText, MAX_HOLD_RECORD_IDS, MAX_MATTER, MAX_REASON, MRN_RULE, textRule } from '@medrec/domain';
import { Satisfies } from '../http/satisfies';

export class PlaceMatterHoldDto {
  @ApiProperty({ description: 'The matter (PHI: sealed in the event store, never logged).' })
  @IsString()
  @IsNotEmpty()
  @Satisfies((value) => isText(value, MAX_MATTER), textRule(MAX_MATTER))
  matter: string;

  @ApiProperty()
  @IsString()
  @IsNotEmpty()
  @Satisfies((value) => isText(value, MAX_REASON), textRule(MAX_REASON))
  reason: string;

  @ApiPropertyOptional({ type: [String], description: 'Records held by id (at least one of recordIds and mrn).' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_HOLD_RECORD_IDS)
  @IsUUID('all', { each: true })
  recordIds?: string[];

  @ApiPropertyOptional({ description: 'Every record of this patient, including those created later until the hold is lifted.' })
  @IsOptional()
  @Satisfies(isMrn, MRN_RULE)
  mrn?: string;
}
