import { Module } from '@nestjs/common';
import { RecordsModule } from '../records/records.module';
import { DisposalController } from './disposal.controller';
import { DisposalBatches } from './disposal-batches';

/** Disposal batches (`disposal-<id>` streams) and their certificates of destruction. */
@Module({
  imports: [RecordsModule],
  controllers: [DisposalController],
  providers: [DisposalBatches],
})
export class DisposalModule {}
