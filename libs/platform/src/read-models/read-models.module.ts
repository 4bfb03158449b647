import { BeforeApplicationShutdown, DynamicModule, Global, Inject, Logger, Module, OnApplicationBootstrap } from '@nestjs/common';
import { join } from 'node:path';
import { PhiCodec } from '@medrec/application';
import { EVENT_STORE, EventStore } from '@medrec/event-store';
import { countPendingOcrJobs } from '@medrec/ingest/jobs/ocr-jobs.projection';
import { ProjectionRunner, ReadModels } from '@medrec/read-models';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Metrics, METRICS } from '../metrics/metrics.port';
import { deriveServerKey, SERVER_SECRET } from '../infrastructure/server-secret';
import * as projectionLists from './projections';
import { ProjectionList, READ_MODELS_FILE, replayThreadFor } from './projections';

const logger = new Logger('Projections');

/**
 * The read models (their own SQLite file) kept up to date by the projection runner, and ReadModels,
 * the typed queries and read-your-writes wait its readers use. The API keeps
 * every projection (PROJECTIONS); a process that needs fewer names its own list: `exportName` of
 * ./projections, which the replay thread loads as well.
 */
@Global()
@Module({})
export class ReadModelsModule implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    @Inject(ProjectionRunner) private readonly projections: ProjectionRunner,
    @Inject(METRICS) private readonly metrics: Metrics,
  ) {}

  static forRoot(exportName: ProjectionList = 'PROJECTIONS'): DynamicModule {
    return {
      module: ReadModelsModule,
      providers: [
        {
          provide: ProjectionRunner,
          inject: [EVENT_STORE, PhiCodec, APP_CONFIG],
          useFactory: (store: EventStore, codec: PhiCodec, config: AppConfig) =>
            new ProjectionRunner(store, codec, [...projectionLists[exportName]], {
              filename: join(config.dataDir, READ_MODELS_FILE),
              batchSize: config.projectionBatchSize,
              // A long catch-up at start (a read model replaying after an upgrade) applies in a thread of its own.
              replayThread: replayThreadFor(exportName),
              log: (message) => logger.warn(message),
            }),
        },
        {
          provide: ReadModels,
          inject: [ProjectionRunner, EVENT_STORE, SERVER_SECRET],
          // Search cursors are MACed with a key derived from the server's secret: valid across restarts and instances.
          useFactory: (projections: ProjectionRunner, events: EventStore, secret: Buffer) =>
            new ReadModels(projections, events, { searchCursorKey: deriveServerKey(secret, 'search cursor v1') }),
        },
      ],
      exports: [ProjectionRunner, ReadModels],
    };
  }

  onApplicationBootstrap(): void {
    // Both lists keep the ocr-jobs projection: the API (embedded OCR) and the workers report the queue.
    this.metrics.readProjectionLag(() => this.projections.status());
    this.metrics.readOcrQueueDepth(() => countPendingOcrJobs(this.projections.db));
    this.projections.start();
  }

  /** After the OCR runner has stopped (onModuleDestroy), before the stores close (onApplicationShutdown). */
  async beforeApplicationShutdown(): Promise<void> {
    await this.projections.stop();
    this.projections.close();
  }
}
