import { Body, Controller, Delete, Get, HttpCode, Post, Query, Req, Res } from '@nestjs/common';
import { ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { RequirePermission } from '@medrec/auth';
import { ReadModels } from '@medrec/read-models';
import { parseAfter } from '../http/after-param';
import { contextOf, TracedRequest } from '../http/request-context';
import { UuidParam } from '../http/uuid-param';
import { PlaceMatterHoldDto } from './legal-holds.dto';
import { MatterHolds } from './matter-holds';

@ApiTags('legal-holds')
@Controller('api/legal-holds')
export class LegalHoldsController {
  constructor(
    private readonly holds: MatterHolds,
    private readonly readModels: ReadModels,
  ) {}

  @Post()
  @RequirePermission('legal-holds.place')
  async place(@Body() body: PlaceMatterHoldDto, @Req() req: TracedRequest, @Res({ passthrough: true }) res: Response) {
    const result = await this.holds.place(body, contextOf(req));
    res.setHeader('Location', `/api/legal-holds/${result.id}`);
    return result;
  }

  /** Matters, reasons and MRNs are PHI: a read of patient data, with a purpose of use. */
  @Get()
  @RequirePermission('legal-holds.list')
  @ApiQuery({ name: 'after', required: false, description: 'a position returned by a mutation (read-your-writes)' })
  async list(@Query('after') after: unknown) {
    await this.readModels.reach(parseAfter(after));
    return { holds: this.readModels.matterHolds() };
  }

  @Delete(':id')
  @HttpCode(204)
  @RequirePermission('legal-holds.lift')
  async lift(@UuidParam('id') id: string, @Req() req: TracedRequest): Promise<void> {
    await this.holds.lift(id, contextOf(req));
  }
}
