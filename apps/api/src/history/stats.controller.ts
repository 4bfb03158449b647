import { Controller, Get, Query, Res } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { RequirePermission } from '@medrec/auth';
import { GetStatsQuery } from './queries/history-queries';
import { parseDay } from './time-window';

/** Counts for the department's dashboard: no patient data, so no purpose of use. */
@ApiTags('history')
@Controller('api/stats')
export class StatsController {
  constructor(private readonly queries: QueryBus) {}

  @Get()
  @RequirePermission('stats')
  stats(@Query('from') from: unknown, @Query('to') to: unknown, @Query('after') after: unknown, @Res({ passthrough: true }) res: Response) {
    res.setHeader('Cache-Control', 'no-store');
    return this.queries.execute(new GetStatsQuery({ from: parseDay(from, 'from'), to: parseDay(to, 'to') }, after));
  }
}
