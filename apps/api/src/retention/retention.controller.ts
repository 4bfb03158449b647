import { Body, Controller, Get, Param, Put, Query, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { RequirePermission } from '@medrec/auth';
import { CALENDAR_DATE_RULE, DOCUMENT_TYPE_RULE, DOCUMENT_TYPES, DocumentType, DomainError, FieldError, isCalendarDate, isDocumentType } from '@medrec/domain';
import { ReadModels, RetentionCursorError } from '@medrec/read-models';
import { parseAfter } from '../http/after-param';
import { ApiAuthenticated, ApiProblems, ApiSummary } from '../http/api-docs';
import { contextOf, TracedRequest } from '../http/request-context';
import { ChangeRetentionScheduleDto } from './retention.dto';
import { RetentionSchedules } from './retention-schedules.service';
import { ChangedRetentionSchedule, RetentionDue, RetentionSchedules as RetentionScheduleList } from './retention.response';

export const DEFAULT_DUE_LIMIT = 50;
export const MAX_DUE_LIMIT = 500;
const DUE_PARAMS = new Set(['asOf', 'documentType', 'limit', 'cursor', 'after']);

/** Retention schedules (the retention-schedules stream) and the list of records whose retention has ended. */
@ApiTags('retention')
@ApiAuthenticated()
@Controller('api/retention')
export class RetentionController {
  constructor(
    private readonly schedules: RetentionSchedules,
    private readonly readModels: ReadModels,
  ) {}

  /** One schedule per document type; the shipped defaults show `authority: 'medrec default'` and `changedBy: null`. */
  @Get('schedules')
  @RequirePermission('retention.schedules.read')
  @ApiSummary('The retention schedules in force, one per document type')
  @ApiOkResponse({ type: RetentionScheduleList })
  async list() {
    return { schedules: await this.schedules.inForce() };
  }

  /** Puts a schedule in force for a document type: a RetentionScheduleChanged, attributed. Applies to every record at once. */
  @Put('schedules/:documentType')
  @RequirePermission('retention.schedules.change')
  @ApiSummary("Put a document type's retention schedule in force (applies to every record at once)")
  @ApiOkResponse({ type: ChangedRetentionSchedule })
  @ApiProblems(400, 409, 413, 415)
  async change(@Param('documentType') documentType: string, @Body() body: ChangeRetentionScheduleDto, @Req() req: TracedRequest) {
    if (!isDocumentType(documentType)) throw DomainError.invalid([{ field: 'documentType', message: DOCUMENT_TYPE_RULE }]);
    const { schedule, position } = await this.schedules.change({ documentType, ...body }, contextOf(req));
    return { ...schedule, position };
  }

  /** Records whose retention has ended on or before `asOf`, by retention date then id: the schedules in force now, never a stored date. */
  @Get('due')
  @RequirePermission('retention.due')
  @ApiSummary('Records whose retention has ended by a day, a page at a time')
  @ApiOkResponse({ type: RetentionDue })
  @ApiProblems(400, 503)
  @ApiQuery({ name: 'asOf', type: String, required: true, description: 'YYYY-MM-DD' })
  @ApiQuery({ name: 'documentType', required: false, enum: DOCUMENT_TYPES })
  @ApiQuery({ name: 'limit', type: 'integer', required: false, description: `1..${MAX_DUE_LIMIT}, default ${DEFAULT_DUE_LIMIT}` })
  @ApiQuery({ name: 'cursor', type: String, required: false })
  @ApiQuery({ name: 'after', type: 'integer', required: false, description: 'a position returned by a mutation (read-your-writes)' })
  async due(@Query() query: Record<string, unknown>, @Res({ passthrough: true }) res: Response) {
    const params = parseDueParams(query);
    await this.readModels.reach(parseAfter(query.after));
    res.setHeader('Cache-Control', 'no-store');
    try {
      return this.readModels.retentionDue(params);
    } catch (error) {
      if (error instanceof RetentionCursorError) throw DomainError.invalid([{ field: 'cursor', message: 'is not a cursor this list returned' }]);
      throw error;
    }
  }
}

/** Validates every parameter of the due list; 400 listing each problem, values never quoted. */
export function parseDueParams(query: Record<string, unknown>): { asOf: string; documentType?: DocumentType; limit: number; cursor?: string } {
  const errors: FieldError[] = [];
  for (const name of Object.keys(query)) if (!DUE_PARAMS.has(name)) errors.push({ field: name, message: 'is not a parameter of the due list' });
  const one = (name: string): string | undefined => {
    const value = query[name];
    if (value === undefined || value === '') return undefined;
    if (typeof value !== 'string') {
      errors.push({ field: name, message: 'must be given once, as a string' });
      return undefined;
    }
    return value;
  };
  const asOf = one('asOf');
  if (asOf === undefined) errors.push({ field: 'asOf', message: `is required: ${CALENDAR_DATE_RULE}` });
  else if (!isCalendarDate(asOf)) errors.push({ field: 'asOf', message: CALENDAR_DATE_RULE });
  const documentType = one('documentType');
  if (documentType !== undefined && !isDocumentType(documentType)) errors.push({ field: 'documentType', message: DOCUMENT_TYPE_RULE });
  const limitText = one('limit');
  const limit = limitText === undefined ? DEFAULT_DUE_LIMIT : Number(limitText);
  if (limitText !== undefined && !(/^\d{1,4}$/.test(limitText) && limit >= 1 && limit <= MAX_DUE_LIMIT)) {
    errors.push({ field: 'limit', message: `must be a whole number from 1 to ${MAX_DUE_LIMIT}` });
  }
  const cursor = one('cursor');
  if (errors.length > 0) throw DomainError.invalid(errors);
  return { asOf: asOf!, limit, ...(documentType ? { documentType: documentType as DocumentType } : {}), ...(cursor ? { cursor } : {}) };
}
