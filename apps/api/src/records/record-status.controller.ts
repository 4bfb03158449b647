import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { RequirePermission } from '@medrec/auth';
import { DomainError } from '@medrec/domain';
import { ApiAuthenticated, ApiProblems, ApiSummary } from '../http/api-docs';
import { UuidParam } from '../http/uuid-param';
import { RecordStatus } from './dto/record.response';
import { RecordRepository } from './record-repository';

/**
 * A record's processing state without its patient data (no names, no MRN, no title): which
 * versions exist and how far their text recognition has got. Not a read of patient data, so
 * neither a purpose of use nor an access event; what the upload screen and scripts poll.
 */
@ApiTags('records')
@ApiAuthenticated()
@Controller('api/records')
export class RecordStatusController {
  constructor(private readonly records: RecordRepository) {}

  @Get(':id/status')
  @RequirePermission('records.status')
  @ApiSummary("A record's versions and their OCR status, without patient data (not audited)")
  @ApiOkResponse({ type: RecordStatus })
  @ApiProblems(400, 404, 410)
  async status(@UuidParam('id') id: string, @Res({ passthrough: true }) res: Response) {
    const { state } = await this.records.load(id);
    if (state.status === 'absent') throw new DomainError('not-found', 'No such record');
    res.setHeader('Cache-Control', 'no-store');
    if (state.status === 'destroyed') {
      const t = state.tombstone!;
      throw new DomainError('gone', 'The record was destroyed', [], { id, recordStatus: 'destroyed', destroyedAt: t.destroyedAt, authority: t.authority });
    }
    return {
      id,
      status: state.status,
      documentType: state.documentType,
      currentVersion: state.versions[state.versions.length - 1].version,
      versions: state.versions.map((v) => ({
        version: v.version,
        pages: v.content.pages,
        ocr:
          v.ocr.status === 'done'
            ? { status: 'done', meanConfidence: v.ocr.meanConfidence }
            : v.ocr.status === 'failed'
              ? { status: 'failed', reason: v.ocr.reason }
              : { status: 'pending' },
      })),
    };
  }
}
