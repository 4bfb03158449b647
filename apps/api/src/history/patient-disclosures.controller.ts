import { Controller, Get, Headers, Param, Query, Req, Res } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiExtraModels, ApiOkResponse, ApiParam, ApiProduces, ApiQuery, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { Response } from 'express';
import { RequirePermission } from '@medrec/auth';
import { DomainError, isMrn, MRN_RULE } from '@medrec/domain';
import { ApiAuthenticated, ApiProblems, ApiSummary } from '../http/api-docs';
import { readContextOf, TracedRequest } from '../http/request-context';
import { PatientDisclosures } from './history.response';
import { disclosuresCsv } from './disclosures-csv';
import { GetDisclosuresQuery } from './queries/history-queries';
import { parseWindow } from './time-window';

/** HIPAA's accounting of disclosures covers the six years before the request. */
const ACCOUNTING_YEARS = 6;

/**
 * The accounting of disclosures of a patient. The MRN is in the path (API.md): it is never
 * logged, never quoted in an error, and the CSV's file name does not carry it.
 */
@ApiTags('history')
@ApiAuthenticated()
@ApiExtraModels(PatientDisclosures)
@Controller('api/patients')
export class PatientDisclosuresController {
  constructor(private readonly queries: QueryBus) {}

  @Get(':mrn/disclosures')
  @RequirePermission('patients.disclosures')
  @ApiProduces('application/json', 'text/csv')
  @ApiSummary("A patient's accounting of disclosures (six years by default), as JSON or CSV")
  @ApiParam({ name: 'mrn', description: "The patient's MRN" })
  @ApiQuery({ name: 'from', type: String, required: false, description: 'an instant or a day (YYYY-MM-DD); default six years before `to`' })
  @ApiQuery({ name: 'to', type: String, required: false, description: 'an instant or a day (YYYY-MM-DD); default now' })
  @ApiQuery({ name: 'after', type: 'integer', required: false, description: 'a position returned by a mutation (read-your-writes)' })
  @ApiOkResponse({
    description: 'The disclosures, oldest first: JSON, or CSV with `Accept: text/csv`',
    content: {
      'application/json': { schema: { $ref: getSchemaPath(PatientDisclosures) } },
      'text/csv': { schema: { type: 'string', description: 'One disclosure per line, with a header line' } },
    },
  })
  @ApiProblems(400, 503)
  async disclosures(
    @Param('mrn') mrn: string,
    @Query('from') from: unknown,
    @Query('to') to: unknown,
    @Query('after') after: unknown,
    @Headers('accept') accept: string | undefined,
    @Req() req: TracedRequest,
    @Res({ passthrough: true }) res: Response,
  ) {
    if (!isMrn(mrn)) throw DomainError.invalid([{ field: 'mrn', message: MRN_RULE }]);
    const context = readContextOf(req);
    const window = parseWindow(from, to, new Date(context.at), ACCOUNTING_YEARS);
    const csv = wantsCsv(accept);
    const view = await this.queries.execute(new GetDisclosuresQuery(mrn, window, csv ? 'csv' : 'json', context, after));
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Vary', 'Accept');
    if (!csv) return view;
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', 'attachment; filename="accounting-of-disclosures.csv"');
    return disclosuresCsv(view.disclosures);
  }
}

/** CSV when the client asks for text/csv and does not prefer JSON (no q-values beyond that). */
function wantsCsv(accept: string | undefined): boolean {
  if (!accept) return false;
  const types = accept.split(',').map((part) => part.split(';')[0].trim().toLowerCase());
  const csv = types.indexOf('text/csv');
  const json = types.indexOf('application/json');
  return csv !== -1 && (json === -1 || csv < json);
}
