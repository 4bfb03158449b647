import { Module } from '@nestjs/common';
import { RecordsModule } from '../records/records.module';
import { AmendmentRequestsController } from './amendment-requests.controller';
import { AmendmentRequests } from './amendment-requests';

/** /api/amendment-requests: patients' amendment requests, linked to their records through the record decider. */
@Module({
  imports: [RecordsModule],
  controllers: [AmendmentRequestsController],
  providers: [AmendmentRequests],
})
export class AmendmentRequestsModule {}
