import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { AppConfig } from './config/app-config';
import { HealthController } from './health/health.controller';
import { HistoryModule } from './history/history.module';
import { IngestionModule } from './ingestion/ingestion.module';
import { InfrastructureModule } from './infrastructure/infrastructure.module';
import { ReadModelsModule } from './read-models/read-models.module';
import { ProblemDetailsFilter } from './problem/problem-details.filter';
import { RecordsModule } from './records/records.module';
import { SearchModule } from './search/search.module';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [CqrsModule.forRoot(), InfrastructureModule.forRoot(config), ReadModelsModule.forRoot(), AuditModule, IngestionModule, AuthModule, RecordsModule, SearchModule, HistoryModule],
      controllers: [HealthController],
      providers: [{ provide: APP_FILTER, useClass: ProblemDetailsFilter }],
    };
  }
}
