import { Module } from '@nestjs/common';
import { ProjectionRunner, SearchService } from '@medrec/read-models';
import { deriveServerKey, SERVER_SECRET } from '@medrec/platform';
import { SearchController } from './search.controller';

/**
 * GET /api/search over the search read model (its projection is listed in read-models/projections.ts).
 * Cursors are MACed with a key derived from the server's secret: a cursor stays valid across a
 * restart and on every instance of the deployment.
 */
@Module({
  controllers: [SearchController],
  providers: [
    {
      provide: SearchService,
      inject: [ProjectionRunner, SERVER_SECRET],
      useFactory: (runner: ProjectionRunner, secret: Buffer) => new SearchService(runner.db, deriveServerKey(secret, 'search cursor v1')),
    },
  ],
})
export class SearchModule {}
