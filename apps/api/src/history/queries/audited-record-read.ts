import { ProjectionRunner } from '@medrec/read-models';
import { ReadModelBehindError, READ_YOUR_WRITES_TIMEOUT_MS } from '../../read-models/read-your-writes';

/** Reads of a record are audited by the one helper of the records module. */
export { auditRecordRead } from '../../records/audited-record-read';

/**
 * Waits until the read models have applied the log up to `position` (the read's own access):
 * the view then holds everything that happened before this read. 503 when they stay behind.
 */
export async function readModelsAt(runner: ProjectionRunner, position: number): Promise<void> {
  if (!(await runner.waitFor(position, READ_YOUR_WRITES_TIMEOUT_MS))) throw new ReadModelBehindError(position);
}
