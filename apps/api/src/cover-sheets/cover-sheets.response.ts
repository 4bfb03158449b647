import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { DOCUMENT_TYPES } from '@medrec/domain';

/** Who a cover sheet is reserved for: the split of a stack, or a review item being assigned to it. */
export class CoverSheetClaimView {
  @ApiPropertyOptional({ format: 'uuid', description: 'The stack whose split files the sheet' })
  stackId?: string;

  @ApiPropertyOptional({ format: 'uuid', description: "The review item whose 'assign' files the sheet" })
  reviewItemId?: string;

  @ApiProperty()
  claimedBy: string;

  @ApiProperty({ format: 'date-time' })
  claimedAt: string;
}

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

  @ApiPropertyOptional({
    type: CoverSheetClaimView,
    description: 'The filing the sheet is reserved for (claimed before anything is filed under it; kept once used). Absent: unclaimed',
  })
  claim?: CoverSheetClaimView;

  @ApiProperty({ type: 'integer', description: 'Log position of the access recorded (of the void, for POST /api/cover-sheets/:id/void)' })
  position: number;
}
