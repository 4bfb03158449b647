import { Inject } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { EVENT_STORE, EventStore } from '@medrec/event-store';
import { ProjectionRunner, timelinePage } from '@medrec/read-models';
import { awaitReadModels } from '../../read-models/read-your-writes';
import { RecordRepository } from '../../records/record-repository';
import { versionView } from '../../records/record-view';
import { auditRecordRead, readModelsAt } from './audited-record-read';
import { GetRecordHistoryQuery, RecordHistoryView } from './history-queries';

@QueryHandler(GetRecordHistoryQuery)
export class GetRecordHistoryHandler implements IQueryHandler<GetRecordHistoryQuery> {
  constructor(
    private readonly records: RecordRepository,
    private readonly runner: ProjectionRunner,
    @Inject(EVENT_STORE) private readonly events: EventStore,
  ) {}

  /** The versions as GET /records/:id shows them, and the timeline up to and including this read. */
  async execute(query: GetRecordHistoryQuery): Promise<RecordHistoryView> {
    await awaitReadModels(this.runner, query.after);
    const { state, position } = await auditRecordRead(this.records, query.recordId, query.context, 'history');
    await readModelsAt(this.runner, position);
    return {
      id: state.recordId,
      status: state.status,
      currentVersion: state.versions[state.versions.length - 1].version,
      versions: state.versions.map(versionView),
      ...(await timelinePage(this.runner.db, this.events, query.recordId, position, query.page)),
    };
  }
}
