import { Body, Controller, Get, HttpCode, Post, Query, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { RequirePermission } from '@medrec/auth';
import {
  DomainError,
  FieldError,
  isReviewItemKind,
  isReviewItemStatus,
  REVIEW_ITEM_KINDS,
  REVIEW_ITEM_STATUSES,
  ReviewItemKind,
  ReviewItemStatus,
} from '@medrec/domain';
import { ReadModels, ReviewItemRow } from '@medrec/read-models';
import { parseAfter } from '../http/after-param';
import { ApiAuthenticated, ApiProblems, ApiSummary } from '../http/api-docs';
import { contextOf, TracedRequest } from '../http/request-context';
import { UuidParam } from '../http/uuid-param';
import { ResolveReviewItemDto } from './review.dto';
import { ResolvedReviewItem, ReviewItemList } from './review.response';
import { ReviewItems } from './review-items';

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 500;

/**
 * The quality-review queue: pages that need a person (blank, hard to read, skewed, too dark; stack
 * pages without a cover sheet once stacks land), and what a clerk decided for each. No PHI in the
 * answers: ids, kinds, page numbers, measures.
 */
@ApiTags('review')
@ApiAuthenticated()
@Controller('api/review')
export class ReviewController {
  constructor(
    private readonly items: ReviewItems,
    private readonly readModels: ReadModels,
  ) {}

  @Get()
  @RequirePermission('review.list')
  @ApiSummary('The quality-review queue, oldest first')
  @ApiOkResponse({ type: ReviewItemList })
  @ApiProblems(400, 503)
  @ApiQuery({ name: 'status', required: false, enum: REVIEW_ITEM_STATUSES, description: 'default open' })
  @ApiQuery({ name: 'kind', required: false, enum: REVIEW_ITEM_KINDS })
  @ApiQuery({ name: 'limit', type: 'integer', required: false, description: `1-${MAX_LIMIT}, default ${DEFAULT_LIMIT}` })
  @ApiQuery({ name: 'cursor', required: false, description: 'the `nextCursor` of the previous page' })
  @ApiQuery({ name: 'after', type: 'integer', required: false, description: 'a position returned by a mutation (read-your-writes)' })
  async list(
    @Query('status') status: unknown,
    @Query('kind') kind: unknown,
    @Query('limit') limit: unknown,
    @Query('cursor') cursor: unknown,
    @Query('after') after: unknown,
    @Res({ passthrough: true }) res: Response,
  ) {
    const request = parseListQuery(status, kind, limit, cursor);
    await this.readModels.reach(parseAfter(after));
    res.setHeader('Cache-Control', 'no-store');
    const page = this.readModels.reviewQueue(request);
    const last = page.items.at(-1);
    return { items: page.items.map(view), nextCursor: page.more && last ? encodeCursor(last.position) : null };
  }

  /** 200 with the resolution; 404 for an unknown item or cover sheet, 409 once resolved (or the cover sheet used or voided). */
  @Post(':itemId/resolve')
  @HttpCode(200)
  @RequirePermission('review.resolve')
  @ApiSummary('Resolve a review item: accept it, send it to rescan, or assign its page(s) to a record (a new version)')
  @ApiOkResponse({ type: ResolvedReviewItem })
  @ApiProblems(400, 404, 409, 410, 413, 415, 422)
  resolve(@UuidParam('itemId') itemId: string, @Body() body: ResolveReviewItemDto, @Req() req: TracedRequest) {
    return this.items.resolve(itemId, body, contextOf(req));
  }
}

function view(item: ReviewItemRow) {
  const { position: _position, ...rest } = item;
  return rest;
}

const encodeCursor = (position: number): string => Buffer.from(`review:${position}`).toString('base64url');

function parseListQuery(
  status: unknown,
  kind: unknown,
  limit: unknown,
  cursor: unknown,
): { status?: ReviewItemStatus; kind?: ReviewItemKind; limit: number; afterPosition?: number } {
  const errors: FieldError[] = [];
  if (status !== undefined && !isReviewItemStatus(status)) errors.push({ field: 'status', message: `must be one of ${REVIEW_ITEM_STATUSES.join(', ')}` });
  if (kind !== undefined && !isReviewItemKind(kind)) errors.push({ field: 'kind', message: `must be one of ${REVIEW_ITEM_KINDS.join(', ')}` });
  let parsedLimit = DEFAULT_LIMIT;
  if (limit !== undefined) {
    parsedLimit = typeof limit === 'string' && /^\d{1,4}$/.test(limit) ? Number(limit) : NaN;
    if (!(parsedLimit >= 1 && parsedLimit <= MAX_LIMIT)) errors.push({ field: 'limit', message: `must be an integer from 1 to ${MAX_LIMIT}` });
  }
  let afterPosition: number | undefined;
  if (cursor !== undefined) {
    const match = typeof cursor === 'string' ? /^review:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('latin1')) : null;
    if (match) afterPosition = Number(match[1]);
    else errors.push({ field: 'cursor', message: 'must be the nextCursor of a previous page' });
  }
  if (errors.length > 0) throw DomainError.invalid(errors);
  return {
    ...(status !== undefined ? { status: status as ReviewItemStatus } : {}),
    ...(kind !== undefined ? { kind: kind as ReviewItemKind } : {}),
    limit: parsedLimit,
    ...(afterPosition !== undefined ? { afterPosition } : {}),
  };
}
