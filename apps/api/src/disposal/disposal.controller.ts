import { Body, Controller, Get, HttpCode, Post, Query, Req, Res } from '@nestjs/common';
import { ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { RequirePermission } from '@medrec/auth';
import { DisposalBatch, DomainError } from '@medrec/domain';
import { ReadModels } from '@medrec/read-models';
import { parseAfter } from '../http/after-param';
import { contextOf, TracedRequest } from '../http/request-context';
import { UuidParam } from '../http/uuid-param';
import { certificatePdf } from './certificate-pdf';
import { DisposalBatches } from './disposal-batches';
import { ProposeDisposalBatchDto } from './disposal.dto';

/** A batch as GET answers it; matters of excluded records and MRNs (PHI) stay in the certificate and the proposal. */
function batchView(b: DisposalBatch) {
  return {
    id: b.batchId,
    status: b.status,
    asOf: b.asOf,
    authority: b.authority,
    ...(b.documentType ? { documentType: b.documentType } : {}),
    included: b.included,
    excluded: b.excluded,
    proposedBy: b.proposedBy,
    proposedAt: b.proposedAt,
    approvedBy: b.approvedBy ?? null,
    approvedAt: b.approvedAt ?? null,
    destroyed: b.destroyed.map((d) => d.recordId),
    skipped: b.skipped,
    executedBy: b.executedBy ?? null,
    executedAt: b.executedAt ?? null,
    certificateId: b.certificate?.certificateId ?? null,
  };
}

@ApiTags('disposal')
@Controller('api/disposal')
export class DisposalController {
  constructor(
    private readonly batches: DisposalBatches,
    private readonly readModels: ReadModels,
  ) {}

  /** 201 with the batch; `?dryRun=true` answers 200 with the same lists and appends nothing. */
  @Post('batches')
  @HttpCode(200)
  @RequirePermission('disposal.propose')
  @ApiQuery({ name: 'dryRun', required: false, enum: ['true', 'false'] })
  async propose(@Body() body: ProposeDisposalBatchDto, @Query('dryRun') dryRun: unknown, @Req() req: TracedRequest, @Res({ passthrough: true }) res: Response) {
    if (dryRun !== undefined && dryRun !== 'true' && dryRun !== 'false') throw DomainError.invalid([{ field: 'dryRun', message: 'must be true or false' }]);
    const result = await this.batches.propose(body, contextOf(req), dryRun === 'true');
    if (result.id) {
      res.status(201);
      res.setHeader('Location', `/api/disposal/batches/${result.id}`);
    }
    return result;
  }

  @Get('batches')
  @RequirePermission('disposal.list')
  @ApiQuery({ name: 'after', required: false })
  async list(@Query('after') after: unknown) {
    await this.readModels.reach(parseAfter(after));
    return {
      batches: this.readModels
        .disposalBatches()
        .map((b) => ({ id: b.batchId, status: b.status, proposedBy: b.proposedBy, proposedAt: b.proposedAt, certificateId: b.certificateId })),
    };
  }

  @Get('batches/:id')
  @RequirePermission('disposal.read')
  async get(@UuidParam('id') id: string) {
    return batchView(await this.batches.get(id));
  }

  /** By someone other than the proposer (403), acting as archivist or HIM; a second approval changes nothing. */
  @Post('batches/:id/approve')
  @HttpCode(200)
  @RequirePermission('disposal.approve')
  async approve(@UuidParam('id') id: string, @Req() req: TracedRequest) {
    const { batch, position } = await this.batches.approve(id, contextOf(req));
    return { id, status: batch.status, approvedBy: batch.approvedBy, approvedAt: batch.approvedAt, position };
  }

  /** 409 before approval; idempotent and resumable (each record destroyed once, one certificate). */
  @Post('batches/:id/execute')
  @HttpCode(200)
  @RequirePermission('disposal.execute')
  async execute(@UuidParam('id') id: string, @Req() req: TracedRequest) {
    return this.batches.execute(id, contextOf(req));
  }

  @Get('certificates')
  @RequirePermission('disposal.certificates.list')
  async certificates() {
    await this.readModels.reachHead();
    const certificates = [];
    for (const b of this.readModels.disposalBatches()) {
      if (b.certificateId) certificates.push((await this.batches.certificate(b.certificateId)).certificate);
    }
    return { certificates };
  }

  /** JSON, or a PDF with `Accept: application/pdf`; the SHA-256 appended when it was issued is checked on every read. */
  @Get('certificates/:id')
  @RequirePermission('disposal.certificates.read')
  async certificate(@UuidParam('id') id: string, @Req() req: TracedRequest, @Res({ passthrough: true }) res: Response) {
    const { certificate, sha256 } = await this.batches.certificate(id);
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Certificate-SHA256', sha256);
    if (req.accepts(['application/json', 'application/pdf']) === 'application/pdf') {
      res.setHeader('Content-Type', 'application/pdf');
      res.setHeader('Content-Disposition', `attachment; filename="certificate-${certificate.id}.pdf"`);
      res.end(await certificatePdf(certificate, sha256));
      return;
    }
    return { ...certificate, sha256 };
  }
}
