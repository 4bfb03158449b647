import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsUUID } from 'class-validator';
import {
  CALENDAR_DATE_RULE,
  DOCUMENT_TYPE_RULE,
  DOCUMENT_TYPES,
  isCalendarDate,
  isDocumentType,
  isText,
  MAX_REASON,
  MAX_REQUESTED_CHANGE,
  MAX_STATEMENT,
  MAX_TITLE,
  textRule,
} from '@medrec/domain';
import { Satisfies } from '../http/satisfies';

/** Non-blank text of at most `maxLength` characters, without control characters (the domain's isText). */
const Text = (maxLength: number) => Satisfies((value) => isText(value, maxLength), textRule(maxLength));

/** POST /api/amendment-requests: a patient's request to amend one record, as received. */
export class CreateAmendmentRequestDto {
  @ApiProperty({ format: 'uuid', description: 'The record the patient asks to amend' })
  @IsUUID('all')
  recordId: string;

  @ApiProperty({ maxLength: MAX_REQUESTED_CHANGE, description: 'What the patient asks to change (PHI: sealed in the event store, never logged)' })
  @Text(MAX_REQUESTED_CHANGE)
  requestedChange: string;

  @ApiProperty({ example: '2024-03-02', description: 'The day the request was received (YYYY-MM-DD, not in the future); the answer is due 60 days later' })
  @Satisfies(isCalendarDate, CALENDAR_DATE_RULE)
  receivedAt: string;
}

/** POST /api/amendment-requests/:id/accept: multipart, as an amendment; the version's kind is `patient-requested`. */
export class AcceptAmendmentRequestDto {
  @ApiPropertyOptional({ enum: ['patient-requested'], description: 'Always patient-requested; may be left out' })
  @IsOptional()
  @IsIn(['patient-requested'])
  kind?: string;

  @ApiProperty({ maxLength: MAX_REASON })
  @Text(MAX_REASON)
  reason: string;

  @ApiPropertyOptional({ maxLength: MAX_TITLE })
  @IsOptional()
  @Text(MAX_TITLE)
  title?: string;

  @ApiPropertyOptional({ enum: DOCUMENT_TYPES })
  @IsOptional()
  @Satisfies(isDocumentType, DOCUMENT_TYPE_RULE)
  documentType?: string;

  @ApiPropertyOptional({ example: '2024-03-02' })
  @IsOptional()
  @Satisfies(isCalendarDate, CALENDAR_DATE_RULE)
  encounterDate?: string;

  @ApiPropertyOptional({
    type: 'string',
    format: 'binary',
    description: 'The amended content (inspected as on create); without it the version keeps the content',
  })
  @IsOptional()
  file?: unknown;
}

export class DenyAmendmentRequestDto {
  @ApiProperty({ maxLength: MAX_STATEMENT, description: 'The basis for the denial: filed on the record as its denial statement (sealed)' })
  @Text(MAX_STATEMENT)
  reason: string;
}

export class AmendmentStatementDto {
  @ApiProperty({ maxLength: MAX_STATEMENT, description: 'Filed on the record (sealed); travels with every later release of it' })
  @Text(MAX_STATEMENT)
  statement: string;
}
