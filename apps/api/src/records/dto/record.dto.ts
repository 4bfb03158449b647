import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsDefined, IsIn, IsObject, IsInt, IsNotEmpty, IsOptional, IsString, Min, ValidateNested } from 'class-validator';
import {
  AMENDMENT_KINDS,
  CALENDAR_DATE_RULE,
  DOCUMENT_TYPES,
  isCalendarDate,
  isMrn,
  isPersonName,
  isText,
  MAX_APPROVER,
  MAX_AUTHORITY,
  MAX_AUTHORIZATION_REFERENCE,
  MAX_DESCRIPTION,
  MAX_MATTER,
  MAX_REASON,
  MAX_RECIPIENT_ADDRESS,
  MAX_RECIPIENT_NAME,
  MAX_RELEASE_PURPOSE,
  MAX_TITLE,
  MRN_RULE,
  PERSON_NAME_RULE,
  textRule,
} from '@medrec/domain';
import { Satisfies } from '../../http/satisfies';

/** Non-blank text of at most `maxLength` characters, without control characters (the domain's isText). */
const Text = (maxLength: number) => Satisfies((value) => isText(value, maxLength), textRule(maxLength));
const CalendarDate = () => Satisfies(isCalendarDate, CALENDAR_DATE_RULE);

/** Multipart fields of POST /api/records (the file travels as `file`). */
export class CreateRecordDto {
  @ApiProperty({ example: '00482913' })
  @IsString()
  @Satisfies(isMrn, MRN_RULE)
  mrn: string;

  @ApiProperty({ example: 'Jane Example' })
  @IsString()
  @IsNotEmpty()
  @Satisfies(isPersonName, PERSON_NAME_RULE)
  patientName: string;

  @ApiProperty({ example: '1961-04-12' })
  @IsString()
  @CalendarDate()
  dateOfBirth: string;

  @ApiProperty({ enum: DOCUMENT_TYPES })
  @IsIn(DOCUMENT_TYPES)
  documentType: string;

  @ApiProperty({ example: 'Discharge summary' })
  @IsString()
  @IsNotEmpty()
  @Text(MAX_TITLE)
  title: string;

  @ApiPropertyOptional({ example: '2024-03-02' })
  @IsOptional()
  @IsString()
  @CalendarDate()
  encounterDate?: string;

  @ApiPropertyOptional({ enum: ['true', 'false'], description: 'Store identical content for the same patient again instead of answering 409' })
  @IsOptional()
  @IsIn(['true', 'false'])
  allowDuplicate?: string;

  @ApiProperty({ type: 'string', format: 'binary' })
  @IsOptional()
  file?: unknown;
}

export class AmendRecordDto {
  @ApiProperty({ enum: AMENDMENT_KINDS })
  @IsIn(AMENDMENT_KINDS)
  kind: string;

  @ApiProperty()
  @IsString()
  @IsNotEmpty()
  @Text(MAX_REASON)
  reason: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @Text(MAX_TITLE)
  title?: string;

  @ApiPropertyOptional({ enum: DOCUMENT_TYPES })
  @IsOptional()
  @IsIn(DOCUMENT_TYPES)
  documentType?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @CalendarDate()
  encounterDate?: string;

  @ApiPropertyOptional({ type: 'string', format: 'binary' })
  @IsOptional()
  file?: unknown;
}

export class RecipientDto {
  @ApiProperty()
  @IsString()
  @IsNotEmpty()
  @Text(MAX_RECIPIENT_NAME)
  name: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @Text(MAX_RECIPIENT_ADDRESS)
  address?: string;
}

export class ReleaseRecordDto {
  @ApiProperty({ type: RecipientDto })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => RecipientDto)
  recipient: RecipientDto;

  @ApiProperty({ example: 'continuing care' })
  @IsString()
  @IsNotEmpty()
  @Text(MAX_RELEASE_PURPOSE)
  purpose: string;

  @ApiProperty({ example: 'AUTH-2024-0113' })
  @IsString()
  @IsNotEmpty()
  @Text(MAX_AUTHORIZATION_REFERENCE)
  authorizationReference: string;

  @ApiPropertyOptional({ type: [Number] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1000)
  @IsInt({ each: true })
  @Min(1, { each: true })
  versions?: number[];

  @ApiProperty()
  @IsString()
  @IsNotEmpty()
  @Text(MAX_DESCRIPTION)
  description: string;
}

export class PlaceHoldDto {
  @ApiProperty()
  @IsString()
  @IsNotEmpty()
  @Text(MAX_MATTER)
  matter: string;

  @ApiProperty()
  @IsString()
  @IsNotEmpty()
  @Text(MAX_REASON)
  reason: string;
}

export class ArchiveRecordDto {
  @ApiProperty()
  @IsString()
  @IsNotEmpty()
  @Text(MAX_REASON)
  reason: string;
}

export class ApproveDestructionDto {
  @ApiProperty({ example: 'Retention schedule GS-12, 10 years after last encounter' })
  @IsString()
  @IsNotEmpty()
  @Text(MAX_AUTHORITY)
  authority: string;
}

export class DestroyRecordDto extends ApproveDestructionDto {
  @ApiProperty({
    description:
      'Username of a user who approved the destruction of this record as it stands, under the same authority; must differ from the person destroying',
  })
  @IsString()
  @IsNotEmpty()
  @Text(MAX_APPROVER)
  approvedBy: string;
}
