import { Global, Inject, Logger, Module, OnApplicationBootstrap, OnModuleDestroy, Optional } from '@nestjs/common';
import { join } from 'node:path';
import { EventSourcedRunner } from '@medrec/application';
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
          limits: { maxPixelsPerPage, minPageSidePixels, maxPageAspectRatio },
          thresholds: { ...DEFAULT_REVIEW_THRESHOLDS, minConfidence: config.review.minConfidence },
          onPage: (page) => metrics.pageRecognised(page),
        });
        return new OcrJobRunner(eventSourced, blobs, keys, pendingOcrJobsView(projections), recognizer, {
          nodeId: loadOrCreateNodeId(join(config.dataDir, 'node.id')),
          concurrency: config.ocr.concurrency,
          leaseMs: config.ocr.leaseSeconds * 1000,
          log: (message) => logger.log(message),
          beforeComplete: (job, pages, context) => openReviewItems(eventSourced, job, pages, context, config.review.minConfidence),
        });
      },
    },
  ],
  exports: [OcrJobRunner],
})
export class OcrModule implements OnApplicationBootstrap, OnModuleDestroy {
  constructor(@Optional() @Inject(OcrJobRunner) private readonly ocr: OcrJobRunner | null) {}

  onApplicationBootstrap(): void {
    this.ocr?.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.ocr?.stop();
  }
}
