import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { DOCUMENT_TYPES } from '@medrec/domain';

/** GET /api/cover-sheets/:id (OpenAPI). The details are null once the sheet was used or voided: they live in the record alone. */
export class CoverSheetView {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ enum: ['issued', 'used', 'voided'] })
  status: 'issued' | 'used' | 'voided';

  @ApiProperty({ type: String, nullable: true })
  mrn: string | null;

  @ApiProperty({ type: String, nullable: true })
  patientName: string | null;

  @ApiProperty({ type: String, nullable: true, format: 'date' })
  dateOfBirth: string | null;

  @ApiProperty({ enum: DOCUMENT_TYPES })
  documentType: string;

  @ApiPropertyOptional({ type: String, nullable: true })
  title?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, format: 'date' })
  encounterDate?: string | null;

  @ApiPropertyOptional({ format: 'uuid', description: 'The sheets printed from one CSV share it' })
  batchId?: string;

  @ApiProperty()
  issuedBy: string;

  @ApiProperty({ format: 'date-time' })
  issuedAt: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'The record its pages were filed as' })
  recordId?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  stackId?: string;

  @ApiPropertyOptional()
  usedBy?: string;

  @ApiPropertyOptional({ format: 'date-time' })
  usedAt?: string;

  @ApiPropertyOptional()
  voidedBy?: string;

  @ApiPropertyOptional({ format: 'date-time' })
  voidedAt?: string;

  @ApiProperty({ type: 'integer', description: 'Log position of the access recorded (of the void, for POST /api/cover-sheets/:id/void)' })
  position: number;
}
