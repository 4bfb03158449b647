import { ApiProperty } from '@nestjs/swagger';
import { REVIEW_ACTIONS, REVIEW_ITEM_KINDS, STACK_STATUSES } from '@medrec/domain';

/** The bodies the stack routes answer (OpenAPI only). No PHI: ids, page numbers, kinds. */

export class ReceivedStack {
  @ApiProperty({ format: 'uuid', description: 'Derived from the file: the same file always names the same stack' })
  stackId: string;
}

export class StackPageRange {
  @ApiProperty({ type: 'integer' })
  first: number;

  @ApiProperty({ type: 'integer' })
  last: number;
}

export class StackDocumentView {
  @ApiProperty({ format: 'uuid', description: 'The record made of the pages (fixed when the split was planned)' })
  recordId: string;

  @ApiProperty({ format: 'uuid' })
  coverSheetId: string;

  @ApiProperty({ type: 'integer', description: '1 for the pages behind the cover sheet; 2, 3... behind each separator after it' })
  part: number;

  @ApiProperty({ type: 'integer', isArray: true, description: 'The stack pages in the record, in order (blank pages left out)' })
  pages: number[];

  @ApiProperty({ type: StackPageRange })
  pageRange: StackPageRange;

  @ApiProperty({ description: 'The record is created' })
  filed: boolean;
}

export class StackReviewItemView {
  @ApiProperty({ format: 'uuid', description: 'The item in GET /api/review' })
  id: string;

  @ApiProperty({ enum: REVIEW_ITEM_KINDS })
  kind: string;

  @ApiProperty({ type: StackPageRange })
  pageRange: StackPageRange;

  @ApiProperty({ enum: ['opening', 'open', 'awaiting-rescan', 'resolved'] })
  status: string;

  @ApiProperty({ type: String, enum: REVIEW_ACTIONS, nullable: true, description: 'The last action taken' })
  action: string | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: '`assign` to a record: that record' })
  recordId: string | null;
}

export class StackView {
  @ApiProperty({ format: 'uuid' })
  stackId: string;

  @ApiProperty({ enum: STACK_STATUSES })
  status: string;

  @ApiProperty()
  receivedBy: string;

  @ApiProperty({ format: 'date-time' })
  receivedAt: string;

  @ApiProperty({ enum: ['application/pdf', 'image/tiff'] })
  contentType: string;

  @ApiProperty({ type: 'integer' })
  pages: number;

  @ApiProperty({ type: StackDocumentView, isArray: true, description: 'Once planned: one per document, in stack order' })
  documents: StackDocumentView[];

  @ApiProperty({ type: 'integer', isArray: true, description: 'Cover and separator sheets read (removed from every record)' })
  sheets: number[];

  @ApiProperty({ type: 'integer', isArray: true, description: 'Blank pages (left out, each a review item)' })
  blankPages: number[];

  @ApiProperty({ type: StackReviewItemView, isArray: true })
  reviewItems: StackReviewItemView[];

  @ApiProperty({ type: 'integer' })
  reviewItemsOpen: number;

  @ApiProperty({ type: 'integer', description: 'Pages in a created record, a sheet, or a resolved review item' })
  pagesAccountedFor: number;

  @ApiProperty({ description: 'The encrypted original is still stored (deleted once every page is accounted for)' })
  originalKept: boolean;

  @ApiProperty({ description: 'True only when the stack is split, all its review items are resolved and every page is accounted for' })
  paperMayBeDestroyed: boolean;

  @ApiProperty({ type: String, nullable: true, description: 'Why the split failed (status failed)' })
  failure: string | null;
}
