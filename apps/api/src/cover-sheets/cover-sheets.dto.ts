import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsNotEmpty, IsOptional, IsString } from 'class-validator';
import {
  CALENDAR_DATE_RULE,
  DOCUMENT_TYPES,
  isCalendarDate,
  isMrn,
  isPersonName,
  isText,
  MAX_TITLE,
  MRN_RULE,
  PERSON_NAME_RULE,
  textRule,
} from '@medrec/domain';
import { Satisfies } from '../http/satisfies';

/** POST /api/cover-sheets: the metadata the record made from the sheet's pages will have (as POST /api/records takes it). */
export class IssueCoverSheetDto {
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
  @Satisfies(isCalendarDate, CALENDAR_DATE_RULE)
  dateOfBirth: string;

  @ApiProperty({ enum: DOCUMENT_TYPES })
  @IsIn(DOCUMENT_TYPES)
  documentType: string;

  @ApiPropertyOptional({ example: 'Discharge summary' })
  @IsOptional()
  @IsString()
  @Satisfies((value) => isText(value, MAX_TITLE), textRule(MAX_TITLE))
  title?: string;

  @ApiPropertyOptional({ example: '2024-03-02' })
  @IsOptional()
  @IsString()
  @Satisfies(isCalendarDate, CALENDAR_DATE_RULE)
  encounterDate?: string;
}

/** POST /api/cover-sheets/batch: one multipart part, the CSV. */
export class IssueCoverSheetBatchDto {
  @ApiProperty({
    type: 'string',
    format: 'binary',
    description:
      'CSV, UTF-8, a header row naming the columns mrn, patientName, dateOfBirth, documentType and optionally title, encounterDate, then one row a sheet (at most 200)',
  })
  @IsOptional()
  file?: unknown;
}
