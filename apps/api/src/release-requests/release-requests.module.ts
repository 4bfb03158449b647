import { Module } from '@nestjs/common';
import { RecordsModule } from '../records/records.module';
import { ReleaseRequestsController } from './release-requests.controller';
import { ReleaseRequests } from './release-requests.service';

/** Release-of-information requests and their packages (/api/release-requests). */
@Module({
  imports: [RecordsModule],
  controllers: [ReleaseRequestsController],
  providers: [ReleaseRequests],
})
export class ReleaseRequestsModule {}
