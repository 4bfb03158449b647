import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { ReadModels, RecordStats } from '@medrec/read-models';
import { parseAfter } from '../../http/after-param';
import { GetStatsQuery } from './history-queries';

@QueryHandler(GetStatsQuery)
export class GetStatsHandler implements IQueryHandler<GetStatsQuery> {
  constructor(private readonly readModels: ReadModels) {}

  /** The counts, and the log position they reflect. */
  async execute(query: GetStatsQuery): Promise<RecordStats & { position: number }> {
    await this.readModels.reach(parseAfter(query.after));
    return this.readModels.stats(query.uploads);
  }
}
