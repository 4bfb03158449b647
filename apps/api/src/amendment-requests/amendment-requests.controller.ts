import { Body, Controller, Get, Headers, HttpCode, Post, Query, Req, Res, UploadedFile, UseInterceptors } from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import { ApiConsumes, ApiCreatedResponse, ApiOkResponse, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { RequirePermission } from '@medrec/auth';
import { AMENDMENT_REQUEST_STATUSES, AmendmentRequestStatus, DomainError, FieldError, isAmendmentRequestStatus, KnownAmendmentRequest } from '@medrec/domain';
import { ReadModels } from '@medrec/read-models';
import { parseAfter } from '../http/after-param';
import { ApiAuthenticated, ApiProblems, ApiSummary } from '../http/api-docs';
import { clientGone } from '../http/client-gone';
import { contextOf, etag, parseIfMatch, TracedRequest } from '../http/request-context';
import { UuidParam } from '../http/uuid-param';
import type { UploadedFile as File } from '../records/record-content';
import { AcceptAmendmentRequestDto, AmendmentStatementDto, CreateAmendmentRequestDto, DenyAmendmentRequestDto } from './amendment-requests.dto';
import { AmendmentRequests } from './amendment-requests';
import {
  AcceptedAmendmentRequest,
  AmendmentRequest,
  AmendmentRequestList,
  FiledAmendmentStatement,
  ReceivedAmendmentRequest,
} from './amendment-requests.response';

const RequestId = () => UuidParam('id');
const today = (): string => new Date().toISOString().slice(0, 10);

/**
 * Patients' amendment requests (45 CFR 164.526): process streams `amendment-request-<id>` linked to
 * the record they ask to amend. Answers hold ids, statuses, dates and usernames: no PHI, so no
 * purpose of use; the requested change and the statements are read in the record's history.
 */
@ApiTags('amendment-requests')
@ApiAuthenticated()
@Controller('api/amendment-requests')
export class AmendmentRequestsController {
  constructor(
    private readonly requests: AmendmentRequests,
    private readonly readModels: ReadModels,
  ) {}

  @Post()
  @RequirePermission('amendment-requests.create')
  @ApiSummary("Register a patient's request to amend a record (due in 60 days)")
  @ApiCreatedResponse({ type: ReceivedAmendmentRequest, description: 'Registered; `Location` names the request' })
  @ApiProblems(400, 404, 409, 410, 413, 415)
  async create(@Body() body: CreateAmendmentRequestDto, @Req() req: TracedRequest, @Res({ passthrough: true }) res: Response) {
    const result = await this.requests.receive(body, contextOf(req));
    res.setHeader('Location', `/api/amendment-requests/${result.id}`);
    return result;
  }

  @Get()
  @RequirePermission('amendment-requests.list')
  @ApiSummary('The amendment requests, by status or overdue')
  @ApiOkResponse({ type: AmendmentRequestList })
  @ApiProblems(400, 503)
  @ApiQuery({ name: 'overdue', required: false, enum: ['true', 'false'], description: 'only requests still unanswered after their due day' })
  @ApiQuery({ name: 'status', required: false, enum: AMENDMENT_REQUEST_STATUSES })
  @ApiQuery({ name: 'after', type: 'integer', required: false, description: 'a position returned by a mutation (read-your-writes)' })
  async list(@Query('overdue') overdue: unknown, @Query('status') status: unknown, @Query('after') after: unknown) {
    const filter = parseListQuery(overdue, status);
    await this.readModels.reach(parseAfter(after));
    return { requests: this.readModels.amendmentRequests({ today: today(), ...filter }) };
  }

  @Get(':id')
  @RequirePermission('amendment-requests.read')
  @ApiSummary("An amendment request's lifecycle, every step attributed")
  @ApiOkResponse({ type: AmendmentRequest })
  @ApiProblems(400, 404, 410)
  async show(@RequestId() id: string) {
    return view(await this.requests.show(id));
  }

  @Post(':id/accept')
  @HttpCode(200)
  @RequirePermission('amendment-requests.accept')
  @ApiSummary('Accept an amendment request: amend the record (a new version of kind patient-requested)')
  @ApiOkResponse({ type: AcceptedAmendmentRequest, description: "Accepted; `ETag` the record's new revision" })
  @ApiProblems(400, 404, 409, 410, 413, 415, 422)
  @ApiConsumes('multipart/form-data')
  @UseInterceptors(FileInterceptor('file'))
  async accept(
    @RequestId() id: string,
    @Body() body: AcceptAmendmentRequestDto,
    @UploadedFile() file: File | undefined,
    @Headers('if-match') ifMatch: string | undefined,
    @Req() req: TracedRequest,
    @Res({ passthrough: true }) res: Response,
  ) {
    const { file: _file, kind: _kind, ...fields } = body;
    const result = await this.requests.accept(id, fields, file, contextOf(req), parseIfMatch(ifMatch), clientGone(req, res));
    res.setHeader('ETag', etag(result.revision));
    return { ...result, status: 'accepted' };
  }

  @Post(':id/deny')
  @HttpCode(200)
  @RequirePermission('amendment-requests.deny')
  @ApiSummary('Deny an amendment request, with the reason (a statement on the record)')
  @ApiOkResponse({ type: FiledAmendmentStatement })
  @ApiProblems(400, 404, 409, 410, 413, 415)
  deny(@RequestId() id: string, @Body() body: DenyAmendmentRequestDto, @Req() req: TracedRequest) {
    return this.requests.fileStatement(id, 'denial', body.reason, contextOf(req));
  }

  @Post(':id/disagreement')
  @HttpCode(200)
  @RequirePermission('amendment-requests.disagreement')
  @ApiSummary("File the patient's statement of disagreement with a denial")
  @ApiOkResponse({ type: FiledAmendmentStatement })
  @ApiProblems(400, 404, 409, 410, 413, 415)
  disagreement(@RequestId() id: string, @Body() body: AmendmentStatementDto, @Req() req: TracedRequest) {
    return this.requests.fileStatement(id, 'disagreement', body.statement, contextOf(req));
  }

  @Post(':id/rebuttal')
  @HttpCode(200)
  @RequirePermission('amendment-requests.rebuttal')
  @ApiSummary("File HIM's rebuttal of the patient's disagreement")
  @ApiOkResponse({ type: FiledAmendmentStatement })
  @ApiProblems(400, 404, 409, 410, 413, 415)
  rebuttal(@RequestId() id: string, @Body() body: AmendmentStatementDto, @Req() req: TracedRequest) {
    return this.requests.fileStatement(id, 'rebuttal', body.statement, contextOf(req));
  }
}

function parseListQuery(overdue: unknown, status: unknown): { overdue?: boolean; status?: AmendmentRequestStatus } {
  const errors: FieldError[] = [];
  if (overdue !== undefined && overdue !== 'true' && overdue !== 'false') errors.push({ field: 'overdue', message: 'must be true or false' });
  if (status !== undefined && !isAmendmentRequestStatus(status)) {
    errors.push({ field: 'status', message: `must be one of ${AMENDMENT_REQUEST_STATUSES.join(', ')}` });
  }
  if (errors.length > 0) throw DomainError.invalid(errors);
  return { ...(overdue === 'true' ? { overdue: true } : {}), ...(status !== undefined ? { status: status as AmendmentRequestStatus } : {}) };
}

const step = (s: { by: string; at: string; statementId?: string } | undefined) =>
  s ? { by: s.by, at: s.at, ...(s.statementId ? { statementId: s.statementId } : {}) } : null;

/** The request's lifecycle, every step attributed; no PHI (the texts are on the record). */
function view(r: KnownAmendmentRequest) {
  return {
    id: r.requestId,
    recordId: r.recordId,
    status: r.status,
    receivedAt: r.receivedAt,
    dueAt: r.dueAt,
    overdue: r.status === 'received' && r.dueAt < today(),
    registeredBy: r.registeredBy,
    registeredAt: r.registeredAt,
    accepted: r.accepted ? { ...step(r.accepted), version: r.accepted.version } : null,
    denied: step(r.denied),
    disagreement: step(r.disagreement),
    rebuttal: step(r.rebuttal),
  };
}
