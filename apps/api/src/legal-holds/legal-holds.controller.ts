import { Body, Controller, Delete, Get, HttpCode, Post, Query, Req, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { RequirePermission } from '@medrec/auth';
import { ReadModels } from '@medrec/read-models';
import { parseAfter } from '../http/after-param';
import { ApiAuthenticated, ApiProblems, ApiSummary } from '../http/api-docs';
import { contextOf, TracedRequest } from '../http/request-context';
import { UuidParam } from '../http/uuid-param';
import { PlaceMatterHoldDto } from './legal-holds.dto';
import { MatterHolds } from './matter-holds';
import { MatterHolds as MatterHoldList, PlacedMatterHold } from './legal-holds.response';

@ApiTags('legal-holds')
@ApiAuthenticated()
@Controller('api/legal-holds')
export class LegalHoldsController {
  constructor(
    private readonly holds: MatterHolds,
    private readonly readModels: ReadModels,
  ) {}

  @Post()
  @RequirePermission('legal-holds.place')
  @ApiSummary("Place a matter's legal hold on records, or on every record of a patient (MRN)")
  @ApiCreatedResponse({ type: PlacedMatterHold, description: 'Placed; `Location` names the hold' })
  @ApiProblems(400, 409, 413, 415, 503)
  async place(@Body() body: PlaceMatterHoldDto, @Req() req: TracedRequest, @Res({ passthrough: true }) res: Response) {
    const result = await this.holds.place(body, contextOf(req));
    res.setHeader('Location', `/api/legal-holds/${result.id}`);
    return result;
  }

  /** Matters, reasons and MRNs are PHI: a read of patient data, with a purpose of use. */
  @Get()
  @RequirePermission('legal-holds.list')
  @ApiSummary("The matters' legal holds, placed and lifted")
  @ApiOkResponse({ type: MatterHoldList })
  @ApiProblems(400, 503)
  @ApiQuery({ name: 'after', type: 'integer', required: false, description: 'a position returned by a mutation (read-your-writes)' })
  async list(@Query('after') after: unknown) {
    await this.readModels.reach(parseAfter(after));
    return { holds: this.readModels.matterHolds() };
  }

  @Delete(':id')
  @HttpCode(204)
  @RequirePermission('legal-holds.lift')
  @ApiSummary("Lift a matter's legal hold from every record it covers")
  @ApiNoContentResponse({ description: 'Lifted' })
  @ApiProblems(400, 404, 409, 503)
  async lift(@UuidParam('id') id: string, @Req() req: TracedRequest): Promise<void> {
    await this.holds.lift(id, contextOf(req));
  }
}
