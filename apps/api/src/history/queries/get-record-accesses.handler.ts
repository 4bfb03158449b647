import { Inject } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { EVENT_STORE, EventStore } from '@medrec/event-store';
import { AccessEntry, accessLogPage, ProjectionRunner } from '@medrec/read-models';
import { awaitReadModels } from '../../read-models/read-your-writes';
import { RecordRepository } from '../../records/record-repository';
import { auditRecordRead } from './audited-record-read';
import { GetRecordAccessesQuery } from './history-queries';

@QueryHandler(GetRecordAccessesQuery)
export class GetRecordAccessesHandler implements IQueryHandler<GetRecordAccessesQuery> {
  constructor(
    private readonly records: RecordRepository,
    private readonly runner: ProjectionRunner,
    @Inject(EVENT_STORE) private readonly events: EventStore,
  ) {}

  /**
   * Every read of the record up to and including this one (which is itself logged, what 'accesses'),
   * from the record's access stream itself: always complete, no read model to wait for. Paged.
   */
  async execute(query: GetRecordAccessesQuery): Promise<{ accesses: AccessEntry[]; nextCursor: string | null }> {
    await awaitReadModels(this.runner, query.after);
    const { position } = await auditRecordRead(this.records, query.recordId, query.context, 'accesses');
    return accessLogPage(this.events, query.recordId, position, query.page);
  }
}
