import { Body, Controller, Get, HttpCode, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiProduces, ApiQuery, ApiResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { Response } from 'express';
import { RequirePermission } from '@medrec/auth';
import { DisposalBatch, DomainError } from '@medrec/domain';
import { ReadModels } from '@medrec/read-models';
import { parseAfter } from '../http/after-param';
import { ApiAuthenticated, ApiProblems, ApiSummary, binaryContent } from '../http/api-docs';
import { contextOf, TracedRequest } from '../http/request-context';
import { UuidParam } from '../http/uuid-param';
import { certificatePdf } from './certificate-pdf';
import { DisposalBatches } from './disposal-batches';
import { ProposeDisposalBatchDto } from './disposal.dto';
import {
  DisposalApproval,
  DisposalBatch as DisposalBatchView,
  DisposalBatches as DisposalBatchList,
  DisposalCertificates,
  DisposalExecution,
  DisposalProposal,
  SealedDisposalCertificate,
} from './disposal.response';

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
@ApiAuthenticated()
@ApiExtraModels(SealedDisposalCertificate)
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
  @ApiSummary('Propose a disposal batch of records due for destruction (or try it: dryRun)')
  @ApiResponse({ status: 201, type: DisposalProposal, description: 'Proposed; `Location` names the batch' })
  @ApiOkResponse({ type: DisposalProposal, description: 'A dry run: the same lists, nothing appended' })
  @ApiProblems(400, 413, 415, 503)
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
  @ApiSummary('The disposal batches')
  @ApiOkResponse({ type: DisposalBatchList })
  @ApiProblems(400, 503)
  @ApiQuery({ name: 'after', type: 'integer', required: false })
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
  @ApiSummary('A disposal batch: included and excluded records, approval, outcome')
  @ApiOkResponse({ type: DisposalBatchView })
  @ApiProblems(400, 404)
  async get(@UuidParam('id') id: string) {
    return batchView(await this.batches.get(id));
  }

  /** By someone other than the proposer (403), acting as archivist or HIM; a second approval changes nothing. */
  @Post('batches/:id/approve')
  @HttpCode(200)
  @RequirePermission('disposal.approve')
  @ApiSummary('Approve a disposal batch (by someone other than its proposer)')
  @ApiOkResponse({ type: DisposalApproval })
  @ApiProblems(400, 404, 409)
  async approve(@UuidParam('id') id: string, @Req() req: TracedRequest) {
    const { batch, position } = await this.batches.approve(id, contextOf(req));
    return { id, status: batch.status, approvedBy: batch.approvedBy, approvedAt: batch.approvedAt, position };
  }

  /** 409 before approval; idempotent and resumable (each record destroyed once, one certificate). */
  @Post('batches/:id/execute')
  @HttpCode(200)
  @RequirePermission('disposal.execute')
  @ApiSummary('Execute an approved disposal batch: destroy its records and issue the certificate')
  @ApiOkResponse({ type: DisposalExecution })
  @ApiProblems(400, 404, 409)
  async execute(@UuidParam('id') id: string, @Req() req: TracedRequest) {
    return this.batches.execute(id, contextOf(req));
  }

  @Get('certificates')
  @RequirePermission('disposal.certificates.list')
  @ApiSummary('The certificates of destruction issued')
  @ApiOkResponse({ type: DisposalCertificates })
  @ApiProblems(503)
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
  @ApiSummary('A certificate of destruction, as JSON or PDF (its SHA-256 checked)')
  @ApiProduces('application/json', 'application/pdf')
  @ApiOkResponse({
    description: 'JSON, or a PDF with `Accept: application/pdf`; `X-Certificate-SHA256` its hash',
    content: { 'application/json': { schema: { $ref: getSchemaPath(SealedDisposalCertificate) } }, ...binaryContent('application/pdf') },
  })
  @ApiProblems(400, 404)
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
