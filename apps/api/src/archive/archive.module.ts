import { Module } from '@nestjs/common';
import { RecordsModule } from '../records/records.module';
import { ArchiveController } from './archive.controller';
import { ArchiveBatches } from './archive-batches';

/** POST /api/archive/batches, .../:id/resume, GET .../:id: bulk archive through the record decider's ArchiveRecord. */
@Module({
  imports: [RecordsModule],
  controllers: [ArchiveController],
  providers: [ArchiveBatches],
})
export class ArchiveModule {}
