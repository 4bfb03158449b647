import { applyDecorators, Controller, Get, NotAcceptableException, Query, Req, Res } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiExtraModels, ApiOkResponse, ApiProduces, ApiQuery, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { Response } from 'express';
import { RequirePermission } from '@medrec/auth';
import { readContextOf, TracedRequest } from '../http/request-context';
import { ApiAuthenticated, ApiProblems, ApiSummary, binaryContent } from '../http/api-docs';
import { UuidParam } from '../http/uuid-param';
import { HistoryReport, RecordAccesses, RecordHistory, VersionDiff } from './history.response';
import { ApiVersionParam, VersionParam } from '../http/version-param';
import { GetRecordAccessesQuery, GetRecordHistoryQuery, GetVersionDiffQuery } from './queries/history-queries';
import { HistoryReports } from './history-report';
import { writeReportJson, writeReportPdf } from './history-report-output';
import { MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE, parsePageRequest } from './timeline-paging';

const ApiPageQuery = () =>
  applyDecorators(
    ApiQuery({ name: 'limit', type: 'integer', required: false, description: `entries per page, 1..${MAX_PAGE_SIZE}, default ${DEFAULT_PAGE_SIZE}` }),
    ApiQuery({ name: 'cursor', type: String, required: false, description: 'the nextCursor of the previous page' }),
    ApiQuery({ name: 'after', type: 'integer', required: false, description: 'a position returned by a mutation (read-your-writes)' }),
  );

const RecordId = () => UuidParam('id');

/** A record's history, the diff of two of its versions, and its access log. */
@ApiTags('history')
@ApiAuthenticated()
@ApiExtraModels(HistoryReport)
@Controller('api/records')
export class RecordHistoryController {
  constructor(
    private readonly queries: QueryBus,
    private readonly reports: HistoryReports,
  ) {}

  @Get(':id/history')
  @RequirePermission('records.history')
  @ApiSummary("A record's versions and its timeline of every lifecycle event and access (audited)")
  @ApiPageQuery()
  @ApiOkResponse({ type: RecordHistory })
  @ApiProblems(400, 404, 410, 503)
  history(@RecordId() id: string, @Query() params: Record<string, unknown>, @Req() req: TracedRequest, @Res({ passthrough: true }) res: Response) {
    res.setHeader('Cache-Control', 'no-store');
    return this.queries.execute(new GetRecordHistoryQuery(id, readContextOf(req), params.after, parsePageRequest(params.limit, params.cursor)));
  }

  /**
   * The legal history report: `Accept: application/pdf` (also for no Accept or a wildcard) or
   * `application/json`, anything else 406 before anything is read. Audited as a read for the purpose
   * legal (what 'report'); written out page by page.
   */
  @Get(':id/history/report')
  @RequirePermission('records.history.report')
  @ApiProduces('application/pdf', 'application/json')
  @ApiSummary('The legal history report of a record, as PDF or JSON (audited, purpose legal)')
  @ApiOkResponse({
    description: 'The report: PDF (the default) or JSON, by the Accept header',
    content: { ...binaryContent('application/pdf'), 'application/json': { schema: { $ref: getSchemaPath(HistoryReport) } } },
  })
  @ApiProblems(400, 404, 406, 410)
  async report(@RecordId() id: string, @Req() req: TracedRequest, @Res() res: Response): Promise<void> {
    const format = req.accepts(['application/pdf', 'application/json']);
    if (!format) throw new NotAcceptableException('The history report is available as application/pdf or application/json');
    const report = await this.reports.prepare(id, readContextOf(req));
    res.status(200);
    res.setHeader('Cache-Control', 'no-store');
    if (format === 'application/pdf') {
      res.setHeader('Content-Type', 'application/pdf');
      res.setHeader('Content-Disposition', `attachment; filename="history-report-${id}.pdf"`);
      await writeReportPdf(report, res);
    } else {
      res.setHeader('Content-Type', 'application/json; charset=utf-8');
      await writeReportJson(report, res);
    }
  }

  @Get(':id/versions/:a/diff/:b')
  @RequirePermission('records.diff')
  @ApiVersionParam('a')
  @ApiVersionParam('b')
  @ApiSummary('A word diff of the recognised text of two versions (audited)')
  @ApiQuery({ name: 'after', type: 'integer', required: false, description: 'a position returned by a mutation (read-your-writes)' })
  @ApiOkResponse({ type: VersionDiff })
  @ApiProblems(400, 404, 410, 503)
  diff(
    @RecordId() id: string,
    @VersionParam('a') a: number,
    @VersionParam('b') b: number,
    @Query('after') after: unknown,
    @Req() req: TracedRequest,
    @Res({ passthrough: true }) res: Response,
  ) {
    res.setHeader('Cache-Control', 'no-store');
    return this.queries.execute(new GetVersionDiffQuery(id, a, b, readContextOf(req), after));
  }

  @Get(':id/accesses')
  @RequirePermission('records.accesses')
  @ApiSummary("A record's access log: who read what, when, for which purpose (audited)")
  @ApiPageQuery()
  @ApiOkResponse({ type: RecordAccesses })
  @ApiProblems(400, 404, 410, 503)
  accesses(@RecordId() id: string, @Query() params: Record<string, unknown>, @Req() req: TracedRequest, @Res({ passthrough: true }) res: Response) {
    res.setHeader('Cache-Control', 'no-store');
    return this.queries.execute(new GetRecordAccessesQuery(id, readContextOf(req), params.after, parsePageRequest(params.limit, params.cursor)));
  }
}
