import { ocrJobsProjection } from '@medrec/ingest/jobs/ocr-jobs.projection';
import { contentIndexProjection, HISTORY_PROJECTIONS, Projection, searchProjection } from '@medrec/read-models';

/**
 * Every projection the server keeps in `read-models.db`, in one list: the server runs them and
 * `medrec projections rebuild` replays them. Add a new projection here.
 */
export const PROJECTIONS: readonly Projection[] = [contentIndexProjection, ocrJobsProjection, searchProjection, ...HISTORY_PROJECTIONS];

export const READ_MODELS_FILE = 'read-models.db';
