import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { AccessEntry, ReadModels } from '@medrec/read-models';
import { parseAfter } from '../../http/after-param';
import { RecordRepository } from '../../records/record-repository';
import { auditRecordRead } from '../../records/audited-record-read';
import { GetRecordAccessesQuery } from './history-queries';

@QueryHandler(GetRecordAccessesQuery)
export class GetRecordAccessesHandler implements IQueryHandler<GetRecordAccessesQuery> {
  constructor(
    private readonly records: RecordRepository,
    private readonly readModels: ReadModels,
  ) {}

  /**
   * Every read of the record up to and including this one (which is itself logged, what 'accesses'),
   * from the record's access stream itself: always complete, no read model to wait for. Paged.
   */
  async execute(query: GetRecordAccessesQuery): Promise<{ accesses: AccessEntry[]; nextCursor: string | null }> {
    await this.readModels.reach(parseAfter(query.after));
    const { position } = await auditRecordRead(this.records, query.recordId, query.context, 'accesses');
    return this.readModels.accessLog(query.recordId, position, query.page);
  }
}
