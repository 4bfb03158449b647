import { Module } from '@nestjs/common';
import { EmergencyAccessReviews } from './emergency-access-reviews';
import { EmergencyAccessController } from './emergency-access.controller';
import { EmergencySearchReviews } from './emergency-search-reviews';
import { EmergencySearchesController } from './emergency-searches.controller';

/**
 * Break-the-glass review: GET /api/audit/emergency-access and POST .../:accessId/review (emergency
 * reads of a record); GET /api/audit/emergency-searches and POST .../:queryId/review (emergency searches).
 */
@Module({
  controllers: [EmergencyAccessController, EmergencySearchesController],
  providers: [EmergencyAccessReviews, EmergencySearchReviews],
})
export class EmergencyAccessModule {}
