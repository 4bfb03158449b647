import { ocrJobsProjection } from '@medrec/ingest/jobs/ocr-jobs.projection';
import {
  amendmentRequestsProjection,
  archiveProjection,
  contentIndexProjection,
  disposalProjection,
  emergencyAccessProjection,
  emergencySearchesProjection,
  HISTORY_PROJECTIONS,
  legalHoldsProjection,
  Projection,
  releaseRequestsProjection,
  ReplayThreadOptions,
  retentionProjection,
  reviewQueueProjection,
  searchProjection,
  stacksProjection,
} from '@medrec/read-models';

/**
 * Every projection the server keeps in `read-models.db`, in one list: the server runs them and
 * `medrec projections rebuild` replays them. Add a new projection here.
 */
export const PROJECTIONS: readonly Projection[] = [
  contentIndexProjection,
  ocrJobsProjection,
  searchProjection,
  ...HISTORY_PROJECTIONS,
  legalHoldsProjection,
  retentionProjection,
  disposalProjection,
  archiveProjection,
  releaseRequestsProjection,
  amendmentRequestsProjection,
  emergencyAccessProjection,
  emergencySearchesProjection,
  reviewQueueProjection,
  stacksProjection,
];

export const READ_MODELS_FILE = 'read-models.db';

/**
 * What an OCR worker process keeps: the pending jobs only. It has no use for the search index or
 * the history views, which would put decrypted PHI on every worker's disk.
 */
export const OCR_WORKER_PROJECTIONS: readonly Projection[] = [ocrJobsProjection];

/** The names of the lists above. */
export type ProjectionList = 'PROJECTIONS' | 'OCR_WORKER_PROJECTIONS';

/** Where a replay thread finds one of the lists above: this module, by its path (compiled or source alike). */
export function replayThreadFor(list: ProjectionList): ReplayThreadOptions {
  return { projectionsModule: __filename, projectionsExport: list };
}
