import { Body, Controller, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { RequirePermission } from '@medrec/auth';
import { contextOf, TracedRequest } from '../http/request-context';
import { UuidParam } from '../http/uuid-param';
import { StartArchiveBatchDto } from './archive.dto';
import { ArchiveBatches } from './archive-batches';

/** Bulk archive: batches over every live record inactive since a day (process streams `archive-batch-<id>`). */
@ApiTags('archive')
@Controller('api/archive/batches')
export class ArchiveController {
  constructor(private readonly batches: ArchiveBatches) {}

  @Post()
  @RequirePermission('archive.batches.start')
  async start(@Body() body: StartArchiveBatchDto, @Req() req: TracedRequest, @Res({ passthrough: true }) res: Response) {
    const result = await this.batches.start(body, contextOf(req));
    res.setHeader('Location', `/api/archive/batches/${result.id}`);
    return result;
  }

  /** Finishes a batch interrupted part way (records already archived are skipped); a completed batch is answered again. */
  @Post(':id/resume')
  @HttpCode(200)
  @RequirePermission('archive.batches.resume')
  resume(@UuidParam('id') id: string, @Req() req: TracedRequest) {
    return this.batches.resume(id, contextOf(req));
  }

  @Get(':id')
  @RequirePermission('archive.batches.read')
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
