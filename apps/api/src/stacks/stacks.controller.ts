import { Body, Controller, Get, Headers, HttpCode, Post, Req, Res, UploadedFile, UseInterceptors } from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import { ApiAcceptedResponse, ApiConsumes, ApiHeader, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { RequirePermission } from '@medrec/auth';
import { ApiAuthenticated, ApiProblems, ApiSummary } from '../http/api-docs';
import { clientGone } from '../http/client-gone';
import { contextOf, TracedRequest } from '../http/request-context';
import { UuidParam } from '../http/uuid-param';
import type { UploadedFile as File } from '../records/record-content';
import { StackSplitter } from './stack-splitter';
import { ReceiveStackDto } from './stacks.dto';
import { ReceivedStack, StackView } from './stacks.response';
import { Stacks } from './stacks.service';

/**
 * Scanner stacks: one file of many documents, split into records by their cover sheets off the
 * request (StackSplitter). The answers hold ids, statuses and page numbers only.
 */
@ApiTags('stacks')
@ApiAuthenticated()
@Controller('api/stacks')
export class StacksController {
  constructor(
    private readonly stacks: Stacks,
    private readonly splitter: StackSplitter,
  ) {}

  /** 202 for a new stack; 200 (the same stackId, nothing new) when this file was received before. */
  @Post()
  @HttpCode(202)
  @RequirePermission('stacks.receive')
  @ApiSummary('Receive a scanner stack (PDF or multi-page TIFF) to split into records by its cover sheets')
  @ApiConsumes('multipart/form-data')
  @ApiHeader({
    name: 'Idempotency-Key',
    required: true,
    description: 'The hex SHA-256 of the file: the same file sent again answers 200 with the same stackId',
  })
  @ApiAcceptedResponse({ type: ReceivedStack, description: 'Received; `Location` names the stack. 200 with the same body when the file was received before' })
  @ApiOkResponse({ type: ReceivedStack, description: 'The file was received before: its stack, nothing new' })
  @ApiProblems(400, 413, 415, 422, 503)
  @UseInterceptors(FileInterceptor('file'))
  async receive(
    @Body() _body: ReceiveStackDto,
    @UploadedFile() file: File | undefined,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Req() req: TracedRequest,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ReceivedStack> {
    const { stackId, created } = await this.stacks.receive(file, idempotencyKey, contextOf(req), clientGone(req, res));
    if (created) this.splitter.poke(stackId);
    else res.status(200);
    res.setHeader('Location', `/api/stacks/${stackId}`);
    return { stackId };
  }

  @Get(':id')
  @RequirePermission('stacks.read')
  @ApiSummary('A stack: its status, documents (records), review items, and whether its paper may be destroyed')
  @ApiOkResponse({ type: StackView })
  @ApiProblems(400, 404)
  async get(@UuidParam('id') id: string, @Res({ passthrough: true }) res: Response): Promise<StackView> {
    res.setHeader('Cache-Control', 'no-store');
    return this.stacks.view(id);
  }
}
