import { ApiProperty } from '@nestjs/swagger';

/** The bodies the break-the-glass review routes answer (OpenAPI only). */

export class EmergencyAccess {
  @ApiProperty({ format: 'uuid' })
  accessId: string;

  @ApiProperty({ format: 'uuid' })
  recordId: string;

  @ApiProperty()
  actor: string;

  @ApiProperty()
  role: string;

  @ApiProperty({ format: 'date-time' })
  at: string;

  @ApiProperty({ type: String, nullable: true, description: 'Why, as the reader declared it (null once its key is gone)' })
  justification: string | null;

  @ApiProperty({ description: 'What was read (record, content, text...)' })
  what: string;

  @ApiProperty({ type: 'integer', nullable: true })
  version: number | null;

  @ApiProperty({ type: 'integer' })
  position: number;
}

export class EmergencyAccesses {
  @ApiProperty({ type: [EmergencyAccess], description: 'Unreviewed, oldest first (at most 1,000)' })
  accesses: EmergencyAccess[];
}

/** What every review answers: who reviewed, when, their note, and where the review stands in the log. */
abstract class ReviewAnswer {
  @ApiProperty()
  reviewedBy: string;

  @ApiProperty({ format: 'date-time' })
  reviewedAt: string;

  @ApiProperty()
  note: string;

  @ApiProperty({ type: 'integer', nullable: true })
  position: number | null;
}

export class EmergencyAccessReview extends ReviewAnswer {
  @ApiProperty({ format: 'uuid' })
  accessId: string;

  @ApiProperty({ format: 'uuid' })
  recordId: string;
}

export class EmergencySearch {
  @ApiProperty({ format: 'uuid' })
  queryId: string;

  @ApiProperty({ format: 'date', description: 'The day (UTC) of the search' })
  day: string;

  @ApiProperty()
  actor: string;

  @ApiProperty()
  role: string;

  @ApiProperty({ format: 'date-time' })
  at: string;

  @ApiProperty({ type: String, nullable: true, description: 'Why, as the searcher declared it (null once its key is gone)' })
  justification: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'The text searched for (null: none, or its key is gone)' })
  text: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'The MRN filtered on (null: none, or its key is gone)' })
  mrn: string | null;

  @ApiProperty({ type: 'integer', description: 'Results on the page answered' })
  resultCount: number;

  @ApiProperty({ type: 'integer' })
  position: number;
}

export class EmergencySearches {
  @ApiProperty({ type: [EmergencySearch], description: 'Unreviewed, oldest first (at most 1,000)' })
  searches: EmergencySearch[];
}

export class EmergencySearchReview extends ReviewAnswer {
  @ApiProperty({ format: 'uuid' })
  queryId: string;
}
