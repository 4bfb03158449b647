import { Module } from '@nestjs/common';
import { EmergencyAccessReviews } from './emergency-access-reviews';
import { EmergencyAccessController } from './emergency-access.controller';

/** GET /api/audit/emergency-access and POST /api/audit/emergency-access/:accessId/review (break-the-glass review). */
@Module({
  controllers: [EmergencyAccessController],
  providers: [EmergencyAccessReviews],
})
export class EmergencyAccessModule {}
