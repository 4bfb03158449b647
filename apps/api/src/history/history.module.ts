import { Module } from '@nestjs/common';
import { RecordsModule } from '../records/records.module';
import { PatientDisclosuresController } from './patient-disclosures.controller';
import { GetDisclosuresHandler } from './queries/get-disclosures.handler';
import { GetRecordAccessesHandler } from './queries/get-record-accesses.handler';
import { GetRecordHistoryHandler } from './queries/get-record-history.handler';
import { GetStatsHandler } from './queries/get-stats.handler';
import { GetVersionDiffHandler } from './queries/get-version-diff.handler';
import { HistoryReports } from './history-report';
import { RecordHistoryController } from './record-history.controller';
import { StatsController } from './stats.controller';

/**
 * History, diff, access log, accounting of disclosures and statistics: views over the
 * record-timeline, disclosures and record-stats projections (the diff reads the text blobs).
 * Shares the records module's RecordRepository (and its cache) and RecordContent.
 */
@Module({
  imports: [RecordsModule],
  controllers: [RecordHistoryController, PatientDisclosuresController, StatsController],
  providers: [GetRecordHistoryHandler, GetVersionDiffHandler, GetRecordAccessesHandler, GetDisclosuresHandler, GetStatsHandler, HistoryReports],
})
export class HistoryModule {}
