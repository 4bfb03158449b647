import { DynamicModule, Module } from '@nestjs/common';
import type { AppConfig } from '../../api/src/config/app-config';
import { IngestionModule } from '../../api/src/ingestion/ingestion.module';
import { InfrastructureModule } from '../../api/src/infrastructure/infrastructure.module';
import { ReadModelsModule } from '../../api/src/read-models/read-models.module';

/** The OCR worker: the same stores and OCR job runner as the API, without HTTP, and only the read model of pending OCR jobs. */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [InfrastructureModule.forRoot({ ...config, ocr: { ...config.ocr, inProcess: true } }), ReadModelsModule.forRoot('OCR_WORKER_PROJECTIONS'), IngestionModule],
    };
  }
}
