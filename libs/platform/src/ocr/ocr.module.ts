import { Global, Inject, Logger, Module, OnApplicationBootstrap, OnModuleDestroy, Optional } from '@nestjs/common';
import { join } from 'node:path';
import { EventSourcedRunner } from '@medrec/application';
import { EVENT_STORE, EventStore, Subscription } from '@medrec/event-store';
import { BLOB_STORE, BlobStore } from '@medrec/blob-store';
import { KEY_STORE, KeyStore } from '@medrec/crypto';
import { decodeSlots } from '@medrec/ingest/inspect/decode-slots';
import { OcrJobRunner } from '@medrec/ingest/jobs/ocr-job-runner';
import { pendingOcrJobsView } from '@medrec/ingest/jobs/ocr-jobs.projection';
import { createDocumentRecognizer } from '@medrec/ingest/pipeline/create-document-recognizer';
import { openReviewItems } from '@medrec/ingest/quality/review-items';
import { DEFAULT_REVIEW_THRESHOLDS } from '@medrec/domain';
import { ProjectionRunner } from '@medrec/read-models';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Metrics, METRICS } from '../metrics/metrics.port';
import { loadOrCreateNodeId } from './node-id';

/**
 * The OCR job runner of this process, under this node's id (node-id.ts). In embedded mode the API
 * works through pending OCR itself; in production the worker app does. Both size the process's
 * image decode slots (MEDREC_DECODE_SLOTS) here.
 */
@Global()
@Module({
  providers: [
    {
      provide: OcrJobRunner,
      inject: [APP_CONFIG, EventSourcedRunner, BLOB_STORE, KEY_STORE, ProjectionRunner, METRICS],
      useFactory: (config: AppConfig, eventSourced: EventSourcedRunner, blobs: BlobStore, keys: KeyStore, projections: ProjectionRunner, metrics: Metrics) => {
        // Process-wide: inspection (API) and rasterizing (API or worker) share the slots.
        decodeSlots.resize(config.limits.decodeSlots);
        if (!config.ocr.inProcess) return null;
        const logger = new Logger('OCR');
        const { maxPixelsPerPage, minPageSidePixels, maxPageAspectRatio } = config.limits;
        const recognizer = createDocumentRecognizer({
          workers: config.ocr.workers,
          idleMs: config.ocr.idleSeconds * 1000,
          preprocess: config.ocr.preprocess,
          clinicalLexicon: config.ocr.lexicon,
          limits: { maxPixelsPerPage, minPageSidePixels, maxPageAspectRatio },
          thresholds: { ...DEFAULT_REVIEW_THRESHOLDS, minConfidence: config.review.minConfidence },
          onPage: (page) => metrics.pageRecognised(page),
          onStage: (stage, seconds) => metrics.ocrStage(stage, seconds),
        });
        return new OcrJobRunner(eventSourced, blobs, keys, pendingOcrJobsView(projections), recognizer, {
          nodeId: loadOrCreateNodeId(join(config.dataDir, 'node.id')),
          concurrency: config.ocr.concurrency,
          leaseMs: config.ocr.leaseSeconds * 1000,
          log: (message) => logger.log(message),
          beforeComplete: (job, pages, context) => openReviewItems(eventSourced, job, pages, context, config.review.minConfidence),
          onStage: (stage, seconds) => metrics.ocrStage(stage, seconds),
        });
      },
    },
  ],
  exports: [OcrJobRunner],
})
export class OcrModule implements OnApplicationBootstrap, OnModuleDestroy {
  private appends?: Subscription;

  constructor(
    @Optional() @Inject(OcrJobRunner) private readonly ocr: OcrJobRunner | null,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const ocr = this.ocr;
    if (!ocr) return;
    ocr.start();
    // The runner hears of each append from the head on (its type, position and time only).
    this.appends = this.store.subscribeAll((event) => ocr.appended(event), { fromPosition: await this.store.headPosition() });
    this.appends.done.catch((error: Error) => new Logger('OCR').warn(`OCR append notifications stopped (${error.name}); jobs are found by polling`));
  }

  async onModuleDestroy(): Promise<void> {
    await this.appends?.close();
    await this.ocr?.stop();
  }
}
