import { Body, Controller, Get, HttpCode, Post, Query, Req, Res, StreamableFile } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { RequirePermission } from '@medrec/auth';
import { DomainError, ExistingReleaseRequest, FieldError, isReleaseOverdue, RELEASE_REQUEST_STATUSES, ReleaseRequestStatus } from '@medrec/domain';
import { ReadModels } from '@medrec/read-models';
import { parseAfter } from '../http/after-param';
import { ApiAuthenticated, ApiProblems, ApiSummary, binaryContent } from '../http/api-docs';
import { contextOf, readContextOf, TracedRequest } from '../http/request-context';
import { UuidParam } from '../http/uuid-param';
import { CreateReleaseRequestDto, DenyReleaseRequestDto } from './release-requests.dto';
import { packageUrl, ReleaseRequests } from './release-requests.service';
import { ReceivedReleaseRequest, ReleaseDenial, ReleaseFulfilment, ReleaseRequest, ReleaseRequestList } from './release-requests.response';

const LIST_PARAMS = new Set(['status', 'overdue', 'after']);

/** A request as GET /:id answers it: its details (PHI, for the roles that handle requests) and progress. */
function requestView(r: ExistingReleaseRequest, today: string) {
  return {
    id: r.requestId,
    status: r.status,
    mrn: r.mrn ?? null,
    requester: r.requester ?? null,
    recipient: r.recipient ?? null,
    purpose: r.purpose ?? null,
    recordIds: r.recordIds,
    authorizationReference: r.authorizationReference ?? null,
    authorizationExpires: r.authorizationExpires,
    receivedAt: r.receivedAt,
    dueAt: r.dueAt,
    overdue: isReleaseOverdue(r, today),
    registeredBy: r.registeredBy,
    registeredAt: r.registeredAt,
    package: r.package
      ? {
          url: packageUrl(r.requestId),
          sha256: r.package.sha256,
          size: r.package.size,
          releases: r.package.releases,
          builtAt: r.package.builtAt,
          shredded: r.package.shredded ?? null,
        }
      : null,
    fulfilledBy: r.fulfilledBy ?? null,
    fulfilledAt: r.fulfilledAt ?? null,
    deniedBy: r.deniedBy ?? null,
    deniedAt: r.deniedAt ?? null,
    denialReason: r.denialReason ?? null,
  };
}

@ApiTags('release-requests')
@ApiAuthenticated()
@Controller('api/release-requests')
export class ReleaseRequestsController {
  constructor(
    private readonly requests: ReleaseRequests,
    private readonly readModels: ReadModels,
  ) {}

  /** 201 `{ id, dueAt, position }`: due 30 days after `receivedAt`. */
  @Post()
  @RequirePermission('release-requests.create')
  @ApiSummary("Register a patient's request for a release of their records (due in 30 days)")
  @ApiCreatedResponse({ type: ReceivedReleaseRequest, description: 'Registered; `Location` names the request' })
  @ApiProblems(400, 413, 415)
  async create(@Body() body: CreateReleaseRequestDto, @Req() req: TracedRequest, @Res({ passthrough: true }) res: Response) {
    const result = await this.requests.receive(body, contextOf(req));
    res.setHeader('Location', `/api/release-requests/${result.id}`);
    return result;
  }

  /** Open requests past their due day first, then by due day. */
  @Get()
  @RequirePermission('release-requests.list')
  @ApiSummary('The release requests, overdue first')
  @ApiOkResponse({ type: ReleaseRequestList })
  @ApiProblems(400, 503)
  @ApiQuery({ name: 'status', required: false, enum: RELEASE_REQUEST_STATUSES })
  @ApiQuery({ name: 'overdue', required: false, enum: ['true', 'false'], description: 'only open requests past their due day' })
  @ApiQuery({ name: 'after', type: 'integer', required: false, description: 'a position returned by a mutation (read-your-writes)' })
  async list(@Query() query: Record<string, unknown>, @Res({ passthrough: true }) res: Response) {
    const { status, overdue } = parseListParams(query);
    await this.readModels.reach(parseAfter(query.after));
    res.setHeader('Cache-Control', 'no-store');
    return { requests: this.readModels.releaseRequests({ status, overdue, today: new Date().toISOString().slice(0, 10) }) };
  }

  @Get(':id')
  @RequirePermission('release-requests.read')
  @ApiSummary('A release request: its details and progress')
  @ApiOkResponse({ type: ReleaseRequest })
  @ApiProblems(400, 404, 410)
  async get(@UuidParam('id') id: string, @Res({ passthrough: true }) res: Response) {
    res.setHeader('Cache-Control', 'no-store');
    return requestView(await this.requests.get(id), new Date().toISOString().slice(0, 10));
  }

  /** Builds the package, records every release, answers where to get it; again: the same package (idempotent, resumable). */
  @Post(':id/fulfil')
  @HttpCode(200)
  @RequirePermission('release-requests.fulfil')
  @ApiSummary('Fulfil a release request: build the package and record every release')
  @ApiOkResponse({ type: ReleaseFulfilment })
  @ApiProblems(400, 404, 409, 410)
  fulfil(@UuidParam('id') id: string, @Req() req: TracedRequest) {
    return this.requests.fulfil(id, contextOf(req));
  }

  @Post(':id/deny')
  @HttpCode(200)
  @RequirePermission('release-requests.deny')
  @ApiSummary('Deny a release request, with the reason')
  @ApiOkResponse({ type: ReleaseDenial })
  @ApiProblems(400, 404, 409, 413, 415)
  deny(@UuidParam('id') id: string, @Body() body: DenyReleaseRequestDto, @Req() req: TracedRequest) {
    return this.requests.deny(id, body.reason, contextOf(req));
  }

  /** The package (application/zip, an attachment), audited as a read of every released version's content with the declared purpose. */
  @Get(':id/package')
  @RequirePermission('release-requests.package')
  @ApiProduces('application/zip')
  @ApiSummary("Download a fulfilled request's package (ZIP; audited as a read of every released version)")
  @ApiOkResponse({ description: 'The package, an attachment; `Digest` its SHA-256', content: binaryContent('application/zip') })
  @ApiProblems(400, 404, 409, 410)
  async package(@UuidParam('id') id: string, @Req() req: TracedRequest, @Res({ passthrough: true }) res: Response) {
    const pkg = await this.requests.openPackage(id, readContextOf(req));
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Digest', `sha-256=${Buffer.from(pkg.sha256, 'hex').toString('base64')}`);
    return new StreamableFile(pkg.body, { type: 'application/zip', length: pkg.size, disposition: `attachment; filename="release-${id}.zip"` });
  }
}

function parseListParams(query: Record<string, unknown>): { status?: ReleaseRequestStatus; overdue: boolean } {
  const errors: FieldError[] = [];
  for (const name of Object.keys(query)) if (!LIST_PARAMS.has(name)) errors.push({ field: name, message: 'is not a parameter of the list' });
  const { status, overdue } = query;
  if (status !== undefined && !RELEASE_REQUEST_STATUSES.includes(status as ReleaseRequestStatus)) {
    errors.push({ field: 'status', message: `must be one of ${RELEASE_REQUEST_STATUSES.join(', ')}` });
  }
  if (overdue !== undefined && overdue !== 'true' && overdue !== 'false') errors.push({ field: 'overdue', message: 'must be true or false' });
  if (errors.length > 0) throw DomainError.invalid(errors);
  return { ...(status !== undefined ? { status: status as ReleaseRequestStatus } : {}), overdue: overdue === 'true' };
}
