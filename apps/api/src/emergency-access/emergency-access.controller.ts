import { Body, Controller, Get, HttpCode, Post, Query, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { RequirePermission } from '@medrec/auth';
import { ReadModels } from '@medrec/read-models';
import { parseAfter } from '../http/after-param';
import { ApiAuthenticated, ApiProblems, ApiSummary } from '../http/api-docs';
import { contextOf, TracedRequest } from '../http/request-context';
import { UuidParam } from '../http/uuid-param';
import { ReviewEmergencyAccessDto } from './emergency-access.dto';
import { EmergencyAccessReviews } from './emergency-access-reviews';
import { EmergencyAccesses, EmergencyAccessReview } from './emergency-access.response';

/** Break-the-glass: the emergency reads awaiting review, and an auditor's review of each (auditors only). */
@ApiTags('audit')
@ApiAuthenticated()
@Controller('api/audit/emergency-access')
export class EmergencyAccessController {
  constructor(
    private readonly reviews: EmergencyAccessReviews,
    private readonly readModels: ReadModels,
  ) {}

  /** Unreviewed emergency reads, oldest first (at most 1,000), with their justification. */
  @Get()
  @RequirePermission('audit.emergency-access.list')
  @ApiSummary('The emergency (break-the-glass) reads awaiting review')
  @ApiOkResponse({ type: EmergencyAccesses })
  @ApiProblems(400, 503)
  @ApiQuery({ name: 'after', type: 'integer', required: false, description: 'a position returned by a mutation (read-your-writes)' })
  async list(@Query('after') after: unknown, @Res({ passthrough: true }) res: Response) {
    await this.readModels.reach(parseAfter(after));
    res.setHeader('Cache-Control', 'no-store');
    return {
      accesses: this.reviews.unreviewed().map((a) => ({
        accessId: a.accessId,
        recordId: a.recordId,
        actor: a.actor,
        role: a.role,
        at: a.at,
        justification: a.justification,
        what: a.what,
        version: a.version,
        position: a.position,
      })),
    };
  }

  /** 200 with the review; 404 for an unknown access, 409 once reviewed, 403 for the reader themself. */
  @Post(':accessId/review')
  @HttpCode(200)
  @RequirePermission('audit.emergency-access.review')
  @ApiSummary('Review an emergency read (by an auditor other than the reader)')
  @ApiOkResponse({ type: EmergencyAccessReview })
  @ApiProblems(400, 404, 409, 413, 415)
  async review(
    @UuidParam('accessId') accessId: string,
    @Body() body: ReviewEmergencyAccessDto,
    @Req() req: TracedRequest,
    @Res({ passthrough: true }) res: Response,
  ) {
    res.setHeader('Cache-Control', 'no-store');
    return this.reviews.review(accessId, body.note, contextOf(req));
  }
}
