import { Module } from '@nestjs/common';
import { SearchController } from './search.controller';

/**
 * GET /api/search over the search read model (ReadModels.search; the projection is listed in
 * libs/platform/src/read-models/projections.ts). Cursors are MACed with a key derived from the
 * server's secret (ReadModelsModule): a cursor stays valid across a restart and on every instance.
 */
@Module({
  controllers: [SearchController],
})
export class SearchModule {}
