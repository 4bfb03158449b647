import { randomUUID } from 'node:crypto';
import type { CommandContext } from '@medrec/application';
import { AccessRecord, DomainError, ExistingRecordState, PurposeOfUse } from '@medrec/domain';
import type { RecordRepository } from '../../records/record-repository';

/**
 * Decides and appends one RecordAccessed per version read (one for the whole record when no
 * version is named) before anything is returned. Every version is checked before the first access
 * is appended, so a request naming an unknown version logs nothing and answers 404; a destroyed
 * record answers 410 with its tombstone, an unknown one 404 (decideAccess).
 * Answers the state read and the position of the last access appended.
 */
export async function auditRecordRead(
  records: RecordRepository,
  recordId: string,
  context: CommandContext & { purpose: PurposeOfUse },
  what: AccessRecord['what'],
  versions: Array<number | undefined> = [undefined],
): Promise<{ state: ExistingRecordState; revision: number; position: number }> {
  const loaded = await records.load(recordId);
  const { state } = loaded;
  if (state.status === 'active' || state.status === 'archived') {
    if (versions.some((v) => v !== undefined && !state.versions.some((s) => s.version === v))) {
      throw new DomainError('not-found', 'No such version of this record');
    }
  }
  let position = 0;
  for (const version of versions) {
    const command: AccessRecord = { type: 'AccessRecord', recordId, accessId: randomUUID(), actor: context.actor, at: context.at, purpose: context.purpose, what, version };
    ({ position } = await records.logAccess(loaded, command, context));
  }
  return { state: state as ExistingRecordState, revision: loaded.revision!, position };
}
