import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsUUID } from 'class-validator';
import { REVIEW_ACTIONS, ReviewAction } from '@medrec/domain';

/** POST /api/review/:itemId/resolve. */
export class ResolveReviewItemDto {
  @ApiProperty({
    enum: REVIEW_ACTIONS,
    description:
      '`accept`: the page is fine as it is (a blank page stays left out of the text); `rescan`: the paper must be scanned again (the item waits for it); ' +
      "`assign`: file the page(s) in another record (`recordId`: a new version of it) or as a new record with a cover sheet's details (`coverSheetId`)",
  })
  @IsIn([...REVIEW_ACTIONS])
  action: ReviewAction;

  @ApiPropertyOptional({ format: 'uuid', description: '`assign` only: the record that receives the page(s) as its new version (`late-entry`)' })
  @IsOptional()
  @IsUUID('all')
  recordId?: string;

  @ApiPropertyOptional({
    format: 'uuid',
    description: '`assign` only: the issued cover sheet whose details make the page(s) a new record (the sheet is then used)',
  })
  @IsOptional()
  @IsUUID('all')
  coverSheetId?: string;
}
