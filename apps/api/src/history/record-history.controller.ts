import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { RequirePermission } from '@medrec/auth';
import { readContextOf, TracedRequest } from '../http/request-context';
import { UuidParam } from '../http/uuid-param';
import { ApiVersionParam, VersionParam } from '../http/version-param';
import { GetRecordAccessesQuery, GetRecordHistoryQuery, GetVersionDiffQuery } from './queries/history-queries';
import { parsePageRequest } from './timeline-paging';

const RecordId = () => UuidParam('id');

/** A record's history, the diff of two of its versions, and its access log. */
@ApiTags('history')
@Controller('api/records')
export class RecordHistoryController {
  constructor(private readonly queries: QueryBus) {}

  @Get(':id/history')
  @RequirePermission('records.history')
  history(@RecordId() id: string, @Query() params: Record<string, unknown>, @Req() req: TracedRequest, @Res({ passthrough: true }) res: Response) {
    res.setHeader('Cache-Control', 'no-store');
    return this.queries.execute(new GetRecordHistoryQuery(id, readContextOf(req), params.after, parsePageRequest(params.limit, params.cursor)));
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
