import { Module } from '@nestjs/common';
import { RetentionController } from './retention.controller';
import { RetentionSchedules } from './retention-schedules.service';

/**
 * Retention schedules (events on the retention-schedules stream) and the due list (the retention
 * projection, read through ReadModels.retentionDue).
 */
@Module({
  controllers: [RetentionController],
  providers: [RetentionSchedules],
})
export class RetentionModule {}
