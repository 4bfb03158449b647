import { Controller, ForbiddenException, Get, Query, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { maySearchText, RequirePermission } from '@medrec/auth';
import { DOCUMENT_TYPES, DomainError } from '@medrec/domain';
import { InvalidCursorError, ReadModels } from '@medrec/read-models';
import { QueryAuditLog } from '../audit/query-audit.log';
import { parseAfter } from '../http/after-param';
import { ApiAuthenticated, ApiProblems, ApiSummary } from '../http/api-docs';
import { readContextOf, TracedRequest } from '../http/request-context';
import { parseSearchParams } from './search-params';
import { SearchAnswer } from './search.response';

@ApiTags('search')
@ApiAuthenticated()
@Controller('api/search')
export class SearchController {
  constructor(
    private readonly readModels: ReadModels,
    private readonly audit: QueryAuditLog,
  ) {}

  /**
   * Full-text search (BM25) over OCR text, title, patient name and MRN, current versions unless
   * `versions=all`. Every search is audited (PatientDataQueried; the text and MRN sealed) before
   * it is answered. A role that may not read the text (maySearchText) searches by filters only and
   * gets no snippets.
   */
  @Get()
  @RequirePermission('search')
  @ApiSummary('Search the records: full text (BM25) and filters, a page at a time (audited)')
  @ApiOkResponse({ type: SearchAnswer })
  @ApiProblems(400, 503)
  @ApiQuery({
    name: 'q',
    type: String,
    required: false,
    description: 'words, "phrases", prefix*, AND / OR / NOT, -word, (groups); only for roles that may read the text (403 otherwise)',
  })
  @ApiQuery({ name: 'mrn', type: String, required: false })
  @ApiQuery({ name: 'documentType', required: false, enum: DOCUMENT_TYPES })
  @ApiQuery({ name: 'from', type: String, required: false, description: 'YYYY-MM-DD, inclusive (encounter date, else creation date)' })
  @ApiQuery({ name: 'to', type: String, required: false, description: 'YYYY-MM-DD, inclusive' })
  @ApiQuery({ name: 'limit', type: 'integer', required: false, description: '1..100, default 20' })
  @ApiQuery({ name: 'cursor', type: String, required: false })
  @ApiQuery({ name: 'versions', required: false, enum: ['current', 'all'] })
  @ApiQuery({ name: 'after', type: 'integer', required: false, description: 'a position returned by a mutation (read-your-writes)' })
  async search(@Query() query: Record<string, unknown>, @Req() req: TracedRequest, @Res({ passthrough: true }) res: Response) {
    const params = parseSearchParams(query);
    const metadataOnly = !maySearchText(req.actor.role);
    if (metadataOnly && params.text !== undefined) {
      throw new ForbiddenException('Your role may not search the text of documents: search by mrn, documentType, from and to');
    }
    await this.readModels.reach(parseAfter(query.after));
    const context = readContextOf(req);
    let page;
    try {
      page = this.readModels.search({
        fts: params.fts,
        mrn: params.mrn,
        documentType: params.documentType,
        from: params.from,
        to: params.to,
        allVersions: params.allVersions,
        limit: params.limit,
        cursor: params.cursor,
        fingerprint: params.fts ?? '',
        metadataOnly,
      });
    } catch (error) {
      if (error instanceof InvalidCursorError) throw DomainError.invalid([{ field: 'cursor', message: 'is not a cursor this search returned' }]);
      throw error;
    }
    const filters: Record<string, string | number | boolean> = {
      versions: params.allVersions ? 'all' : 'current',
      limit: params.limit,
      page: params.cursor ? 'next' : 'first',
    };
    if (params.documentType) filters.documentType = params.documentType;
    if (params.from) filters.from = params.from;
    if (params.to) filters.to = params.to;
    if (params.mrn) filters.mrnFiltered = true;
    await this.audit.record({
      kind: 'search',
      context,
      filters,
      resultCount: page.results.length,
      ...(params.text !== undefined ? { text: params.text } : {}),
      ...(params.mrn !== undefined ? { mrn: params.mrn } : {}),
    });
    res.setHeader('Cache-Control', 'no-store');
    return page;
  }
}
