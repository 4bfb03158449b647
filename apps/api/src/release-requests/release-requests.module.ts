import { Module } from '@nestjs/common';
import { RecordsModule } from '../records/records.module';
import { ReleaseRequestsController } from './release-requests.controller';
import { ReleasePackageShredder } from './release-package-shredder';
import { ReleaseRequests } from './release-requests.service';

/** Release-of-information requests and their packages (/api/release-requests); packages of destroyed records shredded. */
@Module({
  imports: [RecordsModule],
  controllers: [ReleaseRequestsController],
  providers: [ReleaseRequests, ReleasePackageShredder],
})
export class ReleaseRequestsModule {}
