import { Body, Controller, Delete, Get, Headers, HttpCode, Post, Query, Req, Res, StreamableFile, UploadedFile, UseInterceptors } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { FileInterceptor } from '@nestjs/platform-express';
import { ApiConsumes, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { randomUUID } from 'node:crypto';
import { RequirePermission } from '@medrec/auth';
import { parseInstant } from '../history/time-window';
import { ApiAuthenticated, ApiProblems, ApiSummary, binaryContent } from '../http/api-docs';
import { clientGone } from '../http/client-gone';
import { contextOf, etag, parseIfMatch, readContextOf, TracedRequest } from '../http/request-context';
import { STORED_CONTENT_POLICY } from '../http/security-headers';
import { UuidParam } from '../http/uuid-param';
import { ApiPageParam, ApiVersionParam, PageParam, VersionParam } from '../http/version-param';
import { AmendRecordCommand, CreateRecordCommand, ExecuteRecordCommand } from './commands/record-commands';
import { AmendRecordDto, ApproveDestructionDto, ArchiveRecordDto, CreateRecordDto, DestroyRecordDto, PlaceHoldDto, ReleaseRecordDto } from './dto/record.dto';
import {
  AmendedRecord,
  CreatedRecord,
  DestructionApproved,
  HoldPlaced,
  RecordArchived,
  RecordDestroyed,
  RecordEvents,
  RecordReleased,
  RecordView,
  VersionText,
} from './dto/record.response';
import { GetPageImageQuery, GetRecordEventsQuery, GetRecordQuery, GetVersionContentQuery, GetVersionTextQuery } from './queries/record-queries';
import { contentAttachment } from './content-attachment';
import { DOCUMENT_CONTENT_TYPES } from '@medrec/ingest/inspect/document-content-type';
import type { UploadedFile as File } from './record-content';

const RecordId = () => UuidParam('id');

@ApiTags('records')
@ApiAuthenticated()
@Controller('api/records')
export class RecordsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Post()
  @RequirePermission('records.create')
  @ApiSummary('Create a record from an uploaded file and its metadata (version 1)')
  @ApiCreatedResponse({ type: CreatedRecord, description: 'Created; `Location` names the record, `ETag` its revision' })
  @ApiProblems(400, 409, 413, 415, 422, 503)
  @ApiConsumes('multipart/form-data')
  @UseInterceptors(FileInterceptor('file'))
  async create(@Body() body: CreateRecordDto, @UploadedFile() file: File | undefined, @Req() req: TracedRequest, @Res({ passthrough: true }) res: Response) {
    const { file: _file, allowDuplicate, ...fields } = body;
    const result = await this.commands.execute(new CreateRecordCommand(fields, file, contextOf(req), allowDuplicate === 'true', clientGone(req, res)));
    res.setHeader('ETag', etag(result.revision));
    res.setHeader('Location', `/api/records/${result.id}`);
    return result;
  }

  @Get(':id')
  @RequirePermission('records.read')
  @ApiSummary('Read a record: its metadata, versions and holds (audited)')
  @ApiQuery({ name: 'asOf', type: String, required: false, description: 'an instant or a day (YYYY-MM-DD: its end): the record as it stood then' })
  @ApiOkResponse({ type: RecordView, description: 'The record; `ETag` its revision (not with `asOf`)' })
  @ApiProblems(400, 404, 410)
  async get(@RecordId() id: string, @Query('asOf') asOf: unknown, @Req() req: TracedRequest, @Res({ passthrough: true }) res: Response) {
    const at = parseInstant(asOf, 'asOf', 'end-of-day');
    const view = await this.queries.execute(new GetRecordQuery(id, readContextOf(req), at));
    // A past state is not the representation an If-Match may name.
    if (!at) res.setHeader('ETag', etag(view.revision));
    res.setHeader('Cache-Control', 'no-store');
    return view;
  }

  @Get(':id/versions/:v/content')
  @RequirePermission('records.content')
  @ApiVersionParam('v')
  @ApiSummary("Download a version's original file, as it was uploaded (audited)")
  @ApiProduces(...DOCUMENT_CONTENT_TYPES)
  @ApiOkResponse({ description: 'The original bytes with their Content-Type; `Digest` their SHA-256', content: binaryContent(...DOCUMENT_CONTENT_TYPES) })
  @ApiProblems(400, 404, 410)
  async content(@RecordId() id: string, @VersionParam('v') version: number, @Req() req: TracedRequest, @Res({ passthrough: true }) res: Response) {
    const content = await this.queries.execute(new GetVersionContentQuery(id, version, readContextOf(req)));
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Digest', `sha-256=${Buffer.from(content.sha256, 'hex').toString('base64')}`);
    res.setHeader('Content-Security-Policy', STORED_CONTENT_POLICY);
    return new StreamableFile(content.body, {
      type: content.contentType,
      length: content.size,
      disposition: contentAttachment(id, version, content.contentType),
    });
  }

  /**
   * A page as the server renders it for OCR: the word boxes of GET .../text (in this image's pixels)
   * fall on its words. The API's own CSP (default-src 'none') applies: nothing loads from it.
   */
  @Get(':id/versions/:v/pages/:p/image')
  @RequirePermission('records.content')
  @ApiVersionParam('v')
  @ApiPageParam('p')
  @ApiSummary('Page p (from 1) of version v as a grayscale PNG, rendered as OCR renders it (word boxes of the text are in its pixels)')
  @ApiProduces('image/png')
  @ApiOkResponse({ description: 'The page, 8-bit grayscale PNG', content: binaryContent('image/png') })
  @ApiProblems(400, 404, 410)
  async pageImage(
    @RecordId() id: string,
    @VersionParam('v') version: number,
    @PageParam('p') page: number,
    @Req() req: TracedRequest,
    @Res({ passthrough: true }) res: Response,
  ) {
    const image = await this.queries.execute(new GetPageImageQuery(id, version, page, readContextOf(req), clientGone(req, res)));
    res.setHeader('Cache-Control', 'no-store');
    return new StreamableFile(image.png, { type: 'image/png', length: image.png.length });
  }

  @Get(':id/versions/:v/text')
  @RequirePermission('records.text')
  @ApiVersionParam('v')
  @ApiSummary("Read a version's recognised text, page by page, with word boxes (audited)")
  @ApiOkResponse({ type: VersionText, description: 'The pages once OCR is done; none while pending or failed' })
  @ApiProblems(400, 404, 410)
  async text(@RecordId() id: string, @VersionParam('v') version: number, @Req() req: TracedRequest, @Res({ passthrough: true }) res: Response) {
    res.setHeader('Cache-Control', 'no-store');
    return this.queries.execute(new GetVersionTextQuery(id, version, readContextOf(req)));
  }

  @Post(':id/amendments')
  @RequirePermission('records.amend')
  @ApiSummary('Amend a record: a new version (with a file) or a metadata correction')
  @ApiCreatedResponse({ type: AmendedRecord, description: 'Amended; `ETag` the new revision' })
  @ApiProblems(400, 404, 409, 410, 413, 415, 422)
  @ApiConsumes('multipart/form-data')
  @UseInterceptors(FileInterceptor('file'))
  async amend(
    @RecordId() id: string,
    @Body() body: AmendRecordDto,
    @UploadedFile() file: File | undefined,
    @Headers('if-match') ifMatch: string | undefined,
    @Req() req: TracedRequest,
    @Res({ passthrough: true }) res: Response,
  ) {
    const { file: _file, ...fields } = body;
    const result = await this.commands.execute(new AmendRecordCommand(id, fields, file, contextOf(req), parseIfMatch(ifMatch), clientGone(req, res)));
    res.setHeader('ETag', etag(result.revision));
    return result;
  }

  @Post(':id/releases')
  @RequirePermission('records.release')
  @ApiSummary('Record a release of the record (a disclosure) to a recipient')
  @ApiCreatedResponse({ type: RecordReleased })
  @ApiProblems(400, 404, 409, 410, 413, 415)
  async release(
    @RecordId() id: string,
    @Body() body: ReleaseRecordDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Req() req: TracedRequest,
    @Res({ passthrough: true }) res: Response,
  ) {
    const context = contextOf(req);
    const releaseId = randomUUID();
    const result = await this.commands.execute(
      new ExecuteRecordCommand(
        { type: 'ReleaseRecord', recordId: id, actor: context.actor, at: context.at, releaseId, ...body },
        context,
        parseIfMatch(ifMatch),
      ),
    );
    res.setHeader('ETag', etag(result.revision));
    return { releaseId, ...result };
  }

  @Post(':id/holds')
  @RequirePermission('records.holds.place')
  @ApiSummary('Place a legal hold on the record')
  @ApiCreatedResponse({ type: HoldPlaced })
  @ApiProblems(400, 404, 409, 410, 413, 415)
  async placeHold(@RecordId() id: string, @Body() body: PlaceHoldDto, @Req() req: TracedRequest, @Res({ passthrough: true }) res: Response) {
    const context = contextOf(req);
    const holdId = randomUUID();
    const result = await this.commands.execute(
      new ExecuteRecordCommand({ type: 'PlaceLegalHold', recordId: id, actor: context.actor, at: context.at, holdId, ...body }, context),
    );
    res.setHeader('ETag', etag(result.revision));
    return { holdId, ...result };
  }

  @Delete(':id/holds/:holdId')
  @HttpCode(204)
  @RequirePermission('records.holds.lift')
  @ApiSummary('Lift a legal hold from the record')
  @ApiNoContentResponse({ description: 'Lifted' })
  @ApiProblems(400, 404, 409, 410)
  async liftHold(@RecordId() id: string, @UuidParam('holdId') holdId: string, @Req() req: TracedRequest): Promise<void> {
    const context = contextOf(req);
    await this.commands.execute(new ExecuteRecordCommand({ type: 'LiftLegalHold', recordId: id, actor: context.actor, at: context.at, holdId }, context));
  }

  @Post(':id/archive')
  @HttpCode(200)
  @RequirePermission('records.archive')
  @ApiSummary('Archive the record (read-only from then on, still readable)')
  @ApiOkResponse({ type: RecordArchived })
  @ApiProblems(400, 404, 409, 410, 413, 415)
  async archive(
    @RecordId() id: string,
    @Body() body: ArchiveRecordDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Req() req: TracedRequest,
    @Res({ passthrough: true }) res: Response,
  ) {
    const context = contextOf(req);
    const result = await this.commands.execute(
      new ExecuteRecordCommand({ type: 'ArchiveRecord', recordId: id, actor: context.actor, at: context.at, ...body }, context, parseIfMatch(ifMatch)),
    );
    res.setHeader('ETag', etag(result.revision));
    return { id, status: 'archived', ...result };
  }

  @Post(':id/destruction-approvals')
  @RequirePermission('records.destroy.approve')
  @ApiSummary("Approve the record's destruction (the approver's own approval, for dual control)")
  @ApiCreatedResponse({ type: DestructionApproved })
  @ApiProblems(400, 404, 409, 410, 413, 415)
  async approveDestruction(
    @RecordId() id: string,
    @Body() body: ApproveDestructionDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Req() req: TracedRequest,
    @Res({ passthrough: true }) res: Response,
  ) {
    const context = contextOf(req);
    const approvalId = randomUUID();
    const result = await this.commands.execute(
      new ExecuteRecordCommand(
        { type: 'ApproveDestruction', recordId: id, actor: context.actor, at: context.at, approvalId, ...body },
        context,
        parseIfMatch(ifMatch),
      ),
    );
    res.setHeader('ETag', etag(result.revision));
    return { approvalId, recordId: id, authority: body.authority, approvedBy: context.actor.username, approvedAt: context.at, ...result };
  }

  /** Dual control: the decider checks that `approvedBy` approved this record as it stands and is not the caller. */
  @Post(':id/destroy')
  @HttpCode(200)
  @RequirePermission('records.destroy')
  @ApiSummary('Destroy the record, approved by someone else (crypto-shredding; a tombstone stays)')
  @ApiOkResponse({ type: RecordDestroyed })
  @ApiProblems(400, 404, 409, 410, 413, 415)
  async destroy(@RecordId() id: string, @Body() body: DestroyRecordDto, @Headers('if-match') ifMatch: string | undefined, @Req() req: TracedRequest) {
    const context = contextOf(req);
    const result = await this.commands.execute(
      new ExecuteRecordCommand({ type: 'DestroyRecord', recordId: id, actor: context.actor, at: context.at, ...body }, context, parseIfMatch(ifMatch)),
    );
    return { id, status: 'destroyed', destroyedAt: context.at, authority: body.authority, ...result };
  }

  @Get(':id/events')
  @RequirePermission('records.events')
  @ApiSummary("Every event of the record's streams, with the hash chain's verdict (audited)")
  @ApiOkResponse({ type: RecordEvents })
  @ApiProblems(400, 404)
  async events(@RecordId() id: string, @Req() req: TracedRequest, @Res({ passthrough: true }) res: Response) {
    res.setHeader('Cache-Control', 'no-store');
    return this.queries.execute(new GetRecordEventsQuery(id, readContextOf(req)));
  }
}
