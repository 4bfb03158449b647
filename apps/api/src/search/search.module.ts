import { Module } from '@nestjs/common';
import { ProjectionRunner, SearchService } from '@medrec/read-models';
import { SearchController } from './search.controller';

/** GET /api/search over the search read model (its projection is listed in read-models/projections.ts). */
@Module({
  controllers: [SearchController],
  providers: [{ provide: SearchService, inject: [ProjectionRunner], useFactory: (runner: ProjectionRunner) => new SearchService(runner.db) }],
})
export class SearchModule {}
