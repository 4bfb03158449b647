import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { AccessEntry, ProjectionRunner, recordAccesses } from '@medrec/read-models';
import { awaitReadModels } from '../../read-models/read-your-writes';
import { RecordRepository } from '../../records/record-repository';
import { auditRecordRead, readModelsAt } from './audited-record-read';
import { GetRecordAccessesQuery } from './history-queries';

@QueryHandler(GetRecordAccessesQuery)
export class GetRecordAccessesHandler implements IQueryHandler<GetRecordAccessesQuery> {
  constructor(
    private readonly records: RecordRepository,
    private readonly runner: ProjectionRunner,
  ) {}

  /** Every read of the record up to and including this one (which is itself logged, what 'accesses'). */
  async execute(query: GetRecordAccessesQuery): Promise<{ accesses: AccessEntry[] }> {
    await awaitReadModels(this.runner, query.after);
    const { position } = await auditRecordRead(this.records, query.recordId, query.context, 'accesses');
    await readModelsAt(this.runner, position);
    return { accesses: recordAccesses(this.runner.db, query.recordId, position) };
  }
}
