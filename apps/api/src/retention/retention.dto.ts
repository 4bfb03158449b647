import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import {
  isMinorsUntilAge,
  isRetentionAuthority,
  isRetentionYears,
  MINORS_UNTIL_AGE_MAX,
  MINORS_UNTIL_AGE_MIN,
  MINORS_UNTIL_AGE_RULE,
  RETENTION_AUTHORITY_MAX_LENGTH,
  RETENTION_AUTHORITY_RULE,
  RETENTION_YEARS_MAX,
  RETENTION_YEARS_MIN,
  RETENTION_YEARS_RULE,
} from '@medrec/domain';
import { Satisfies } from '../http/satisfies';

/** PUT /api/retention/schedules/:documentType: the schedule that applies from now on. */
export class ChangeRetentionScheduleDto {
  @ApiProperty({ minimum: RETENTION_YEARS_MIN, maximum: RETENTION_YEARS_MAX, description: 'Years after the last encounter (else creation)' })
  @Satisfies(isRetentionYears, RETENTION_YEARS_RULE)
  years: number;

  @ApiPropertyOptional({
    minimum: MINORS_UNTIL_AGE_MIN,
    maximum: MINORS_UNTIL_AGE_MAX,
    description: 'Patients who were minors at the last encounter are kept at least until this birthday; absent: no minors’ rule',
  })
  @IsOptional()
  @Satisfies(isMinorsUntilAge, MINORS_UNTIL_AGE_RULE)
  minorsUntilAge?: number;

  @ApiProperty({ maxLength: RETENTION_AUTHORITY_MAX_LENGTH, description: 'The law, regulation or policy the schedule follows' })
  @Satisfies(isRetentionAuthority, RETENTION_AUTHORITY_RULE)
  authority: string;
}
