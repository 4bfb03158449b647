import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { AppConfig, InfrastructureModule, OcrModule, ReadModelsModule } from '@medrec/platform';
import { AmendmentRequestsModule } from './amendment-requests/amendment-requests.module';
import { ReviewModule } from './review/review.module';
import { ArchiveModule } from './archive/archive.module';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { CoverSheetsModule } from './cover-sheets/cover-sheets.module';
import { DisposalModule } from './disposal/disposal.module';
import { EmergencyAccessModule } from './emergency-access/emergency-access.module';
import { HealthModule } from './health/health.module';
import { HistoryModule } from './history/history.module';
import { LegalHoldsModule } from './legal-holds/legal-holds.module';
import { MetricsModule } from './metrics/metrics.module';
import { ProblemDetailsFilter } from './problem/problem-details.filter';
import { RecordsModule } from './records/records.module';
import { ReleaseRequestsModule } from './release-requests/release-requests.module';
import { RetentionModule } from './retention/retention.module';
import { SearchModule } from './search/search.module';
import { StacksModule } from './stacks/stacks.module';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CqrsModule.forRoot(),
        InfrastructureModule.forRoot(config),
        ReadModelsModule.forRoot(),
        AuditModule,
        OcrModule,
        AuthModule,
        RecordsModule,
        CoverSheetsModule,
        StacksModule,
        SearchModule,
        HistoryModule,
        LegalHoldsModule,
        RetentionModule,
        DisposalModule,
        ArchiveModule,
        ReleaseRequestsModule,
        AmendmentRequestsModule,
        ReviewModule,
        EmergencyAccessModule,
        HealthModule,
        MetricsModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: ProblemDetailsFilter }],
    };
  }
}
