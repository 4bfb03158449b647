import { Controller, Get, NotAcceptableException, Query, Req, Res } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { RequirePermission } from '@medrec/auth';
import { readContextOf, TracedRequest } from '../http/request-context';
import { UuidParam } from '../http/uuid-param';
import { ApiVersionParam, VersionParam } from '../http/version-param';
import { GetRecordAccessesQuery, GetRecordHistoryQuery, GetVersionDiffQuery } from './queries/history-queries';
import { HistoryReports } from './history-report';
import { writeReportJson, writeReportPdf } from './history-report-output';
import { parsePageRequest } from './timeline-paging';

const RecordId = () => UuidParam('id');

/** A record's history, the diff of two of its versions, and its access log. */
@ApiTags('history')
@Controller('api/records')
export class RecordHistoryController {
  constructor(
    private readonly queries: QueryBus,
    private readonly reports: HistoryReports,
  ) {}

  @Get(':id/history')
  @RequirePermission('records.history')
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
  accesses(@RecordId() id: string, @Query() params: Record<string, unknown>, @Req() req: TracedRequest, @Res({ passthrough: true }) res: Response) {
    res.setHeader('Cache-Control', 'no-store');
    return this.queries.execute(new GetRecordAccessesQuery(id, readContextOf(req), params.after, parsePageRequest(params.limit, params.cursor)));
  }
}
