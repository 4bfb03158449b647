import { Body, Controller, Get, HttpCode, Post, Query, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { RequirePermission } from '@medrec/auth';
import { ReadModels } from '@medrec/read-models';
import { parseAfter } from '../http/after-param';
import { ApiAuthenticated, ApiProblems, ApiSummary } from '../http/api-docs';
import { contextOf, TracedRequest } from '../http/request-context';
import { UuidParam } from '../http/uuid-param';
import { ReviewEmergencySearchDto } from './emergency-access.dto';
import { EmergencySearches, EmergencySearchReview } from './emergency-access.response';
import { EmergencySearchReviews } from './emergency-search-reviews';

/** Break-the-glass searches: those awaiting review, and an auditor's review of each (auditors only). */
@ApiTags('audit')
@ApiAuthenticated()
@Controller('api/audit/emergency-searches')
export class EmergencySearchesController {
  constructor(
    private readonly reviews: EmergencySearchReviews,
    private readonly readModels: ReadModels,
  ) {}

  /** Unreviewed emergency searches, oldest first (at most 1,000), with what was searched and why. */
  @Get()
  @RequirePermission('audit.emergency-searches.list')
  @ApiSummary('The emergency (break-the-glass) searches awaiting review')
  @ApiOkResponse({ type: EmergencySearches })
  @ApiProblems(400, 503)
  @ApiQuery({ name: 'after', type: 'integer', required: false, description: 'a position returned by a mutation (read-your-writes)' })
  async list(@Query('after') after: unknown, @Res({ passthrough: true }) res: Response) {
    await this.readModels.reach(parseAfter(after));
    res.setHeader('Cache-Control', 'no-store');
    return {
      searches: this.reviews.unreviewed().map((s) => ({
        queryId: s.queryId,
        day: s.day,
        actor: s.actor,
        role: s.role,
        at: s.at,
        justification: s.justification,
        text: s.text,
        mrn: s.mrn,
        resultCount: s.resultCount,
        position: s.position,
      })),
    };
  }

  /** 200 with the review; 404 for an unknown search, 409 once reviewed, 403 for the searcher themself. */
  @Post(':queryId/review')
  @HttpCode(200)
  @RequirePermission('audit.emergency-searches.review')
  @ApiSummary('Review an emergency search (by an auditor other than the searcher)')
  @ApiOkResponse({ type: EmergencySearchReview })
  @ApiProblems(400, 404, 409, 413, 415)
  async review(
    @UuidParam('queryId') queryId: string,
    @Body() body: ReviewEmergencySearchDto,
    @Req() req: TracedRequest,
    @Res({ passthrough: true }) res: Response,
  ) {
    res.setHeader('Cache-Control', 'no-store');
    return this.reviews.review(queryId, body.note, contextOf(req));
  }
}
