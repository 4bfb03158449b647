import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { ReadModels } from '@medrec/read-models';
import { parseAfter } from '../../http/after-param';
import { RecordRepository } from '../../records/record-repository';
import { versionView } from '../../records/record-view';
import { auditRecordRead } from '../../records/audited-record-read';
import { GetRecordHistoryQuery, RecordHistoryView } from './history-queries';

@QueryHandler(GetRecordHistoryQuery)
export class GetRecordHistoryHandler implements IQueryHandler<GetRecordHistoryQuery> {
  constructor(
    private readonly records: RecordRepository,
    private readonly readModels: ReadModels,
  ) {}

  /** The versions as GET /records/:id shows them, and the timeline up to and including this read. */
  async execute(query: GetRecordHistoryQuery): Promise<RecordHistoryView> {
    await this.readModels.reach(parseAfter(query.after));
    const { state, position } = await auditRecordRead(this.records, query.recordId, query.context, 'history');
    // The view then holds everything that happened before this read, and the read itself.
    await this.readModels.reach(position);
    return {
      id: state.recordId,
      status: state.status,
      currentVersion: state.versions[state.versions.length - 1].version,
      versions: state.versions.map(versionView),
      ...(await this.readModels.timelinePage(query.recordId, position, query.page)),
    };
  }
}
