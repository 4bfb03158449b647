import { Body, Controller, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { RequirePermission } from '@medrec/auth';
import { ApiAuthenticated, ApiProblems, ApiSummary } from '../http/api-docs';
import { contextOf, TracedRequest } from '../http/request-context';
import { UuidParam } from '../http/uuid-param';
import { StartArchiveBatchDto } from './archive.dto';
import { ArchiveBatches } from './archive-batches';
import { ArchiveBatch, ArchiveBatchResult } from './archive.response';

/** Bulk archive: batches over every live record inactive since a day (process streams `archive-batch-<id>`). */
@ApiTags('archive')
@ApiAuthenticated()
@Controller('api/archive/batches')
export class ArchiveController {
  constructor(private readonly batches: ArchiveBatches) {}

  @Post()
  @RequirePermission('archive.batches.start')
  @ApiSummary('Archive every live record inactive since a day, as one batch')
  @ApiCreatedResponse({ type: ArchiveBatchResult, description: 'Done; `Location` names the batch' })
  @ApiProblems(400, 413, 415, 503)
  async start(@Body() body: StartArchiveBatchDto, @Req() req: TracedRequest, @Res({ passthrough: true }) res: Response) {
    const result = await this.batches.start(body, contextOf(req));
    res.setHeader('Location', `/api/archive/batches/${result.id}`);
    return result;
  }

  /** Finishes a batch interrupted part way (records already archived are skipped); a completed batch is answered again. */
  @Post(':id/resume')
  @HttpCode(200)
  @RequirePermission('archive.batches.resume')
  @ApiSummary('Finish an archive batch interrupted part way')
  @ApiOkResponse({ type: ArchiveBatchResult })
  @ApiProblems(400, 404)
  resume(@UuidParam('id') id: string, @Req() req: TracedRequest) {
    return this.batches.resume(id, contextOf(req));
  }

  @Get(':id')
  @RequirePermission('archive.batches.read')
  @ApiSummary('An archive batch: its records and progress')
  @ApiOkResponse({ type: ArchiveBatch })
  @ApiProblems(400, 404)
  async show(@UuidParam('id') id: string) {
    const batch = await this.batches.show(id);
    return {
      id: batch.batchId,
      status: batch.status,
      inactiveSince: batch.inactiveSince,
      documentType: batch.documentType ?? null,
      recordIds: batch.recordIds,
      startedBy: batch.startedBy,
      startedAt: batch.startedAt,
      archived: batch.archived ?? null,
      completedBy: batch.completedBy ?? null,
      completedAt: batch.completedAt ?? null,
    };
  }
}
