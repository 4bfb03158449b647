import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { ProjectionRunner, recordStats, RecordStats } from '@medrec/read-models';
import { awaitReadModels } from '../../read-models/read-your-writes';
import { GetStatsQuery } from './history-queries';

@QueryHandler(GetStatsQuery)
export class GetStatsHandler implements IQueryHandler<GetStatsQuery> {
  constructor(private readonly runner: ProjectionRunner) {}

  /** The counts, and the log position they reflect. */
  async execute(query: GetStatsQuery): Promise<RecordStats & { position: number }> {
    await awaitReadModels(this.runner, query.after);
    const position = this.runner.position();
    return { ...recordStats(this.runner.db, query.uploads), position };
  }
}
