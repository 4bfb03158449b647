import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import {
  CALENDAR_DATE_RULE,
  DOCUMENT_TYPE_RULE,
  DOCUMENT_TYPES,
  type DocumentType,
  isCalendarDate,
  isDocumentType,
  isText,
  MAX_REASON,
  textRule,
} from '@medrec/domain';
import { Satisfies } from '../http/satisfies';

/** POST /api/archive/batches: archive every live record inactive since a day. */
export class StartArchiveBatchDto {
  @ApiProperty({ example: '2020-01-01', description: 'Records with no amendment, release or encounter on or after this day (YYYY-MM-DD)' })
  @Satisfies(isCalendarDate, CALENDAR_DATE_RULE)
  inactiveSince: string;

  @ApiPropertyOptional({ enum: DOCUMENT_TYPES, description: 'Only records of this document type' })
  @IsOptional()
  @Satisfies(isDocumentType, DOCUMENT_TYPE_RULE)
  documentType?: DocumentType;

  @ApiPropertyOptional({
    maxLength: MAX_REASON,
    description: 'The reason each record’s archiving gives (sealed on the record’s stream); default names the day',
  })
  @IsOptional()
  @Satisfies((value) => isText(value, MAX_REASON), textRule(MAX_REASON))
  reason?: string;
}
