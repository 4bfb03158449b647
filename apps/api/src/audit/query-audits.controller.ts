import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { RequirePermission } from '@medrec/auth';
import { AuditedQueryKind, CALENDAR_DATE_RULE, DomainError, FieldError, isCalendarDate, isPurposeOfUse, PURPOSES_OF_USE, queryAuditDay } from '@medrec/domain';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, parsePageRequest } from '../history/timeline-paging';
import { ApiAuthenticated, ApiProblems, ApiSummary } from '../http/api-docs';
import { readContextOf, TracedRequest } from '../http/request-context';
import { QueryAuditLog } from './query-audit.log';
import { QueryAuditFilter, QueryAuditReader } from './query-audit-reader';
import { AuditedQueries } from './query-audits.response';

const KINDS: readonly AuditedQueryKind[] = ['search', 'disclosures', 'query-audit'];
const KNOWN = new Set(['date', 'purpose', 'kind', 'limit', 'cursor']);

/** The query audit: who searched or reported over patients' data, a day at a time (auditors only). */
@ApiTags('audit')
@ApiAuthenticated()
@Controller('api/audit/queries')
export class QueryAuditsController {
  constructor(
    private readonly reader: QueryAuditReader,
    private readonly audit: QueryAuditLog,
  ) {}

  /**
   * A day's audited queries, oldest first, with their PHI (text, MRN, justification) decrypted.
   * Reading them is itself a query over patients' data, audited before the answer (kind query-audit).
   */
  @Get()
  @RequirePermission('audit.queries.list')
  @ApiSummary("A day's audited searches and reports over patients' data: who asked what, why (audited)")
  @ApiOkResponse({ type: AuditedQueries })
  @ApiProblems(400, 503)
  @ApiQuery({ name: 'date', type: String, required: false, description: 'YYYY-MM-DD, the day (UTC) the queries were made; default today' })
  @ApiQuery({ name: 'purpose', required: false, enum: PURPOSES_OF_USE, description: 'only the queries declared for this purpose (emergency: break-the-glass)' })
  @ApiQuery({ name: 'kind', required: false, enum: KINDS })
  @ApiQuery({ name: 'limit', type: 'integer', required: false, description: `1..${MAX_PAGE_SIZE}, default ${DEFAULT_PAGE_SIZE}` })
  @ApiQuery({ name: 'cursor', type: String, required: false })
  async list(@Query() query: Record<string, unknown>, @Req() req: TracedRequest, @Res({ passthrough: true }) res: Response) {
    const { date, filter } = parseFilter(query);
    const page = parsePageRequest(query.limit, query.cursor);
    const answer = await this.reader.page(date, filter, page);
    const filters: Record<string, string | number | boolean> = { date, limit: page.limit, page: page.cursor ? 'next' : 'first' };
    if (filter.purpose) filters.purpose = filter.purpose;
    if (filter.kind) filters.kind = filter.kind;
    await this.audit.record({ kind: 'query-audit', context: readContextOf(req), filters, resultCount: answer.queries.length });
    res.setHeader('Cache-Control', 'no-store');
    return { date, ...answer };
  }
}

function parseFilter(query: Record<string, unknown>): { date: string; filter: QueryAuditFilter } {
  const errors: FieldError[] = [];
  for (const name of Object.keys(query)) if (!KNOWN.has(name)) errors.push({ field: name, message: 'is not a parameter of the query audit' });
  const { date, purpose, kind } = query;
  if (date !== undefined && !isCalendarDate(date)) errors.push({ field: 'date', message: CALENDAR_DATE_RULE });
  if (purpose !== undefined && !isPurposeOfUse(purpose)) errors.push({ field: 'purpose', message: `must be one of ${PURPOSES_OF_USE.join(', ')}` });
  if (kind !== undefined && !KINDS.includes(kind as AuditedQueryKind)) errors.push({ field: 'kind', message: `must be one of ${KINDS.join(', ')}` });
  if (errors.length > 0) throw DomainError.invalid(errors);
  return {
    date: (date as string | undefined) ?? queryAuditDay(new Date().toISOString()),
    filter: {
      ...(purpose !== undefined ? { purpose: purpose as QueryAuditFilter['purpose'] } : {}),
      ...(kind !== undefined ? { kind: kind as AuditedQueryKind } : {}),
    },
  };
}
