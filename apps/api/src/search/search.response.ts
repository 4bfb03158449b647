import { ApiProperty } from '@nestjs/swagger';
import { DOCUMENT_TYPES } from '@medrec/domain';

/** The body GET /api/search answers (OpenAPI only). */

export class SearchHit {
  @ApiProperty({ format: 'uuid' })
  recordId: string;

  @ApiProperty({ type: 'integer' })
  version: number;

  @ApiProperty({
    type: 'integer',
    nullable: true,
    description: 'The page the text matched on; null when the metadata matched (or for a search by filters only)',
  })
  page: number | null;

  @ApiProperty()
  title: string;

  @ApiProperty()
  mrn: string;

  @ApiProperty()
  patientName: string;

  @ApiProperty({ enum: DOCUMENT_TYPES })
  documentType: string;

  @ApiProperty({ type: Number, nullable: true, description: 'BM25 relevance, higher is better; null for a search by filters only' })
  score: number | null;

  @ApiProperty({ type: String, nullable: true, description: 'HTML-escaped text around the hits, each in <mark>; null for a search by filters only' })
  snippet: string | null;

  @ApiProperty({ format: 'date', description: 'The encounter date, else the creation date' })
  date: string;

  @ApiProperty({ description: 'The hit is in the current version' })
  current: boolean;
}

export class SearchAnswer {
  @ApiProperty({ type: [SearchHit] })
  results: SearchHit[];

  @ApiProperty({ type: String, nullable: true, description: 'More results follow: pass it as `?cursor=`' })
  nextCursor: string | null;

  @ApiProperty({ description: 'More rows matched than are ranked: the best among the most recent of them' })
  approximate: boolean;
}
