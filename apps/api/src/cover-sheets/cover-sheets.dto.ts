import { ApiProperty, ApiPropertyOptional, PickType } from '@nestjs/swagger';
import { IsNotEmpty, IsOptional, IsString } from 'class-validator';
import { isText, MAX_TITLE, MAX_VOID_REASON, textRule } from '@medrec/domain';
import { Satisfies } from '../http/satisfies';
import { CreateRecordDto } from '../records/dto/record.dto';

/** POST /api/cover-sheets: the metadata the record made from the sheet's pages will have (as POST /api/records takes it; the title may wait for the sheet). */
export class IssueCoverSheetDto extends PickType(CreateRecordDto, ['mrn', 'patientName', 'dateOfBirth', 'documentType', 'encounterDate'] as const) {
  @ApiPropertyOptional({ example: 'Discharge summary' })
  @IsOptional()
  @IsString()
  @Satisfies((value) => isText(value, MAX_TITLE), textRule(MAX_TITLE))
  title?: string;
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

/** POST /api/cover-sheets/:id/void: why the sheet is voided (free text that may name the patient: sealed). */
export class VoidCoverSheetDto {
  @ApiProperty({ example: 'Printed with the wrong MRN', maxLength: MAX_VOID_REASON })
  @IsString()
  @IsNotEmpty()
  @Satisfies((value) => isText(value, MAX_VOID_REASON), textRule(MAX_VOID_REASON))
  reason: string;
}
