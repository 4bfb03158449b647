import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsOptional, IsString, IsUUID } from 'class-validator';
import {
  CALENDAR_DATE_RULE,
  DOCUMENT_TYPE_RULE,
  DOCUMENT_TYPES,
  DocumentType,
  isCalendarDate,
  isDocumentType,
  isRetentionAuthority,
  MAX_HOLD_RECORD_IDS,
  RETENTION_AUTHORITY_RULE,
} from '@medrec/domain';
import { Satisfies } from '../http/satisfies';

export class ProposeDisposalBatchDto {
  @ApiProperty({ description: 'YYYY-MM-DD: records whose retention has ended on or before this day.' })
  @Satisfies(isCalendarDate, CALENDAR_DATE_RULE)
  asOf: string;

  @ApiProperty({ description: 'The retention authority under which the records are destroyed (a legal citation, kept in clear).' })
  @IsString()
  @Satisfies(isRetentionAuthority, RETENTION_AUTHORITY_RULE)
  authority: string;

  @ApiPropertyOptional({ type: [String], description: 'The records considered; without it, every record due as of asOf.' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_HOLD_RECORD_IDS)
  @IsUUID('all', { each: true })
  recordIds?: string[];

  @ApiPropertyOptional({ enum: DOCUMENT_TYPES })
  @IsOptional()
  @Satisfies(isDocumentType, DOCUMENT_TYPE_RULE)
  documentType?: DocumentType;
}
