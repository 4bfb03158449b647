import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsDefined, IsNotEmpty, IsObject, IsString, IsUUID, ValidateNested } from 'class-validator';
import {
  CALENDAR_DATE_RULE,
  isCalendarDate,
  isMrn,
  isText,
  MAX_AUTHORIZATION_REFERENCE,
  MAX_REASON,
  MAX_RELEASE_PURPOSE,
  MAX_RELEASE_RECORD_IDS,
  MAX_REQUESTER,
  MRN_RULE,
  textRule,
} from '@medrec/domain';
import { Satisfies } from '../http/satisfies';
import { RecipientDto } from '../records/dto/record.dto';

const Text = (maxLength: number) => Satisfies((value) => isText(value, maxLength), textRule(maxLength));
const CalendarDate = () => Satisfies(isCalendarDate, CALENDAR_DATE_RULE);

export class CreateReleaseRequestDto {
  @ApiProperty({ example: 'MRN-004217', description: 'The patient whose records are requested (PHI: sealed, never logged).' })
  @Satisfies(isMrn, MRN_RULE)
  mrn: string;

  @ApiProperty({ description: 'Who asked: the patient or their personal representative.' })
  @IsString()
  @IsNotEmpty()
  @Text(MAX_REQUESTER)
  requester: string;

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

  @ApiProperty({ type: [String], description: 'The records to release (all of the patient named by mrn); the current version of each goes out.' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_RELEASE_RECORD_IDS)
  @IsUUID('all', { each: true })
  recordIds: string[];

  @ApiProperty({ example: 'AUTH-2024-0113' })
  @IsString()
  @IsNotEmpty()
  @Text(MAX_AUTHORIZATION_REFERENCE)
  authorizationReference: string;

  @ApiProperty({ example: '2026-12-31', description: 'YYYY-MM-DD: the last day the authorization is valid.' })
  @CalendarDate()
  authorizationExpires: string;

  @ApiProperty({ example: '2026-11-20', description: 'YYYY-MM-DD: the day the request was received; it is due 30 days later.' })
  @CalendarDate()
  receivedAt: string;
}

export class DenyReleaseRequestDto {
  @ApiProperty()
  @IsString()
  @IsNotEmpty()
  @Text(MAX_REASON)
  reason: string;
}
