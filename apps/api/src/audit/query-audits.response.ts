import { ApiProperty } from '@nestjs/swagger';
import { PURPOSES_OF_USE, ROLES } from '@medrec/domain';

/** The body GET /api/audit/queries answers (OpenAPI only). */

export class AuditedQuery {
  @ApiProperty({ format: 'uuid' })
  queryId: string;

  @ApiProperty({ enum: ['search', 'disclosures', 'query-audit'], description: "What was asked: a search, a patient's disclosures, a day's query audit" })
  kind: string;

  @ApiProperty()
  actor: string;

  @ApiProperty({ enum: [...ROLES, 'system'], description: 'The role the query was made in' })
  role: string;

  @ApiProperty({ enum: PURPOSES_OF_USE })
  purpose: string;

  @ApiProperty({ format: 'date-time' })
  at: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: { oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }] },
    description: 'The filters without PHI (document type, dates, versions, page size...)',
  })
  filters: Record<string, string | number | boolean>;

  @ApiProperty({ type: 'integer', description: 'Results on the page answered' })
  resultCount: number;

  @ApiProperty({ type: String, nullable: true, description: "The text searched for (null: none, or the day's key is gone)" })
  text: string | null;

  @ApiProperty({ type: String, nullable: true, description: "The patient asked about (null: none, or the day's key is gone)" })
  mrn: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'Why, for a query declared emergency (break-the-glass)' })
  justification: string | null;

  @ApiProperty({ type: 'integer' })
  position: number;
}

export class AuditedQueries {
  @ApiProperty({ format: 'date', description: 'The day read (UTC)' })
  date: string;

  @ApiProperty({ type: [AuditedQuery], description: 'In the order they were made' })
  queries: AuditedQuery[];

  @ApiProperty({ type: String, nullable: true, description: 'More entries may follow: pass it as `?cursor=`' })
  nextCursor: string | null;
}
