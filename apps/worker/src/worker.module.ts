import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig, InfrastructureModule, MetricsServerModule, OcrModule, ReadModelsModule } from '@medrec/platform';

/** The OCR worker: the same stores and OCR job runner as the API, without HTTP, and only the read model of pending OCR jobs. */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        InfrastructureModule.forRoot({ ...config, ocr: { ...config.ocr, inProcess: true } }, 'worker'),
        ReadModelsModule.forRoot('OCR_WORKER_PROJECTIONS'),
        OcrModule,
        // A worker has no HTTP server: its metrics are served on MEDREC_METRICS_PORT when set.
        MetricsServerModule,
      ],
    };
  }
}
