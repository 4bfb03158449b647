import { Module } from '@nestjs/common';
import { RecordsModule } from '../records/records.module';
import { LegalHoldsController } from './legal-holds.controller';

/**
 * POST/GET/DELETE /api/legal-holds. The MatterHolds service is provided by RecordsModule, whose
 * record creation runs it for MRN holds (records of the patient created later are held too).
 */
@Module({
  imports: [RecordsModule],
  controllers: [LegalHoldsController],
})
export class LegalHoldsModule {}
