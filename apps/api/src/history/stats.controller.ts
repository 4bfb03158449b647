import { Controller, Get, Query, Res } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { RequirePermission } from '@medrec/auth';
import { ApiAuthenticated, ApiProblems, ApiSummary } from '../http/api-docs';
import { RecordStats } from './history.response';
import { GetStatsQuery } from './queries/history-queries';
import { parseDay } from './time-window';

/** Counts for the department's dashboard: no patient data, so no purpose of use. */
@ApiTags('history')
@ApiAuthenticated()
@Controller('api/stats')
export class StatsController {
  constructor(private readonly queries: QueryBus) {}

  @Get()
  @RequirePermission('stats')
  @ApiSummary("Counts for the department's dashboard: records, pages, uploads per day, OCR backlog")
  @ApiQuery({ name: 'from', type: String, required: false, description: 'YYYY-MM-DD: first day of uploadsPerDay' })
  @ApiQuery({ name: 'to', type: String, required: false, description: 'YYYY-MM-DD: last day of uploadsPerDay' })
  @ApiQuery({ name: 'after', type: 'integer', required: false, description: 'a position returned by a mutation (read-your-writes)' })
  @ApiOkResponse({ type: RecordStats })
  @ApiProblems(400, 503)
  stats(@Query('from') from: unknown, @Query('to') to: unknown, @Query('after') after: unknown, @Res({ passthrough: true }) res: Response) {
    res.setHeader('Cache-Control', 'no-store');
    return this.queries.execute(new GetStatsQuery({ from: parseDay(from, 'from'), to: parseDay(to, 'to') }, after));
  }
}
