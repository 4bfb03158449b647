import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { REVIEW_ACTIONS, REVIEW_ITEM_KINDS, REVIEW_ITEM_STATUSES } from '@medrec/domain';

/** The bodies the review routes answer (OpenAPI only). No PHI: ids, kinds, page numbers, measures. */

export class ReviewPageRange {
  @ApiProperty({ type: 'integer' })
  first: number;

  @ApiProperty({ type: 'integer' })
  last: number;
}

export class ReviewResolution {
  @ApiProperty({ enum: REVIEW_ACTIONS })
  action: string;

  @ApiProperty({ description: 'Who acted' })
  by: string;

  @ApiProperty({ format: 'date-time' })
  at: string;

  @ApiPropertyOptional({ format: 'uuid', description: '`assign`: the record that received the page(s)' })
  recordId?: string;

  @ApiPropertyOptional({ type: 'integer', description: '`assign`: its version holding them' })
  version?: number;

  @ApiPropertyOptional({ format: 'uuid' })
  coverSheetId?: string;
}

export class ReviewItem {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ enum: REVIEW_ITEM_KINDS })
  kind: string;

  @ApiProperty({ enum: REVIEW_ITEM_STATUSES })
  status: string;

  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'The record whose page this is (null for a stack page)' })
  recordId: string | null;

  @ApiProperty({ type: 'integer', nullable: true })
  version: number | null;

  @ApiProperty({ type: 'integer', nullable: true, description: 'From 1' })
  page: number | null;

  @ApiProperty({ type: String, nullable: true, description: 'The scanned stack the pages are from (stacks)' })
  stackId: string | null;

  @ApiProperty({ type: ReviewPageRange, nullable: true, description: 'The pages of the stack (stacks)' })
  pageRange: ReviewPageRange | null;

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'number' },
    description: 'What was measured: inkRatio, grayStdDev, paperLevel, skewDegrees, confidence (numbers only)',
  })
  measure: Record<string, number>;

  @ApiProperty({ format: 'date-time' })
  openedAt: string;

  @ApiProperty({ type: ReviewResolution, nullable: true, description: 'The last action taken (a rescan, or the final accept/assign)' })
  resolution: ReviewResolution | null;
}

export class ReviewItemList {
  @ApiProperty({ type: [ReviewItem], description: 'Oldest first' })
  items: ReviewItem[];

  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page; null on the last' })
  nextCursor: string | null;
}

export class ResolvedReviewItem {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ enum: REVIEW_ITEM_STATUSES })
  status: string;

  @ApiProperty({ enum: REVIEW_ACTIONS })
  action: string;

  @ApiProperty()
  resolvedBy: string;

  @ApiProperty({ format: 'date-time' })
  resolvedAt: string;

  @ApiPropertyOptional({
    format: 'uuid',
    description: "`assign`: the record that received the page(s): the one named, or the new record made with the cover sheet's details",
  })
  recordId?: string;

  @ApiPropertyOptional({ type: 'integer', description: '`assign`: its version holding them (1 for a new record under a cover sheet)' })
  version?: number;

  @ApiProperty({ type: 'integer', description: 'Log position: pass as `?after=` to read your write' })
  position: number;
}
