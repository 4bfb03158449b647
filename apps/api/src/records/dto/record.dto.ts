import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsDefined, IsIn, IsObject, IsInt, IsNotEmpty, IsOptional, IsString, Matches, MaxLength, Min, ValidateNested } from 'class-validator';
import { AMENDMENT_KINDS, DOCUMENT_TYPES } from '@medrec/domain';

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_MESSAGE = '$property must be a date YYYY-MM-DD';

/** Multipart fields of POST /api/records (the file travels as `file`). */
export class CreateRecordDto {
  @ApiProperty({ example: '00482913' })
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9-]{3,19}$/, { message: '$property must be 4-20 letters, digits or hyphens' })
  mrn: string;

  @ApiProperty({ example: 'Jane Example' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  patientName: string;

  @ApiProperty({ example: '1961-04-12' })
  @IsString()
  @Matches(DATE, { message: DATE_MESSAGE })
  dateOfBirth: string;

  @ApiProperty({ enum: DOCUMENT_TYPES })
  @IsIn(DOCUMENT_TYPES)
  documentType: string;

  @ApiProperty({ example: 'Discharge summary' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(300)
  title: string;

  @ApiPropertyOptional({ example: '2024-03-02' })
  @IsOptional()
  @IsString()
  @Matches(DATE, { message: DATE_MESSAGE })
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
  @MaxLength(2000)
  reason: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(300)
  title?: string;

  @ApiPropertyOptional({ enum: DOCUMENT_TYPES })
  @IsOptional()
  @IsIn(DOCUMENT_TYPES)
  documentType?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Matches(DATE, { message: DATE_MESSAGE })
  encounterDate?: string;

  @ApiPropertyOptional({ type: 'string', format: 'binary' })
  @IsOptional()
  file?: unknown;
}

export class RecipientDto {
  @ApiProperty()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(500)
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
  @MaxLength(200)
  purpose: string;

  @ApiProperty({ example: 'AUTH-2024-0113' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
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
  @MaxLength(2000)
  description: string;
}

export class PlaceHoldDto {
  @ApiProperty()
  @IsString()
  @IsNotEmpty()
  @MaxLength(300)
  matter: string;

  @ApiProperty()
  @IsString()
  @IsNotEmpty()
  @MaxLength(2000)
  reason: string;
}

export class ArchiveRecordDto {
  @ApiProperty()
  @IsString()
  @IsNotEmpty()
  @MaxLength(2000)
  reason: string;
}

export class ApproveDestructionDto {
  @ApiProperty({ example: 'Retention schedule GS-12, 10 years after last encounter' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(500)
  authority: string;
}

export class DestroyRecordDto extends ApproveDestructionDto {
  @ApiProperty({ description: 'Username of a user who approved the destruction of this record as it stands, under the same authority; must differ from the person destroying' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  approvedBy: string;
}
