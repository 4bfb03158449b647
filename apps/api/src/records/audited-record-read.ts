import { randomUUID } from 'node:crypto';
import type { CommandContext } from '@medrec/application';
import { AccessRecord, DomainError, ExistingRecordState, PurposeOfUse } from '@medrec/domain';
import type { LoadedRecord, RecordRepository } from './record-repository';

/** A record read that has been decided and logged: only now may anything of it be returned. */
export interface AuditedRecordRead {
  loaded: LoadedRecord;
  state: ExistingRecordState;
  revision: number;
  /** Log position of the last RecordAccessed appended. */
  position: number;
}

/**
 * The one way a read of a record is audited: loads the record, decides the read (decideAccess) and
 * appends one RecordAccessed per version read (one for the whole record when no version is named)
 * before anything is returned. Every version is checked before the first access is appended, so a
 * request naming an unknown version logs nothing and answers 404; a destroyed record answers 410
 * with its tombstone, an unknown one 404.
 */
export async function auditRecordRead(
  records: RecordRepository,
  recordId: string,
  context: CommandContext & { purpose: PurposeOfUse; justification?: string },
  what: AccessRecord['what'],
  versions: Array<number | undefined> = [undefined],
  /** The record as the caller already loaded it, not read again. */
  preloaded?: LoadedRecord,
): Promise<AuditedRecordRead> {
  const loaded = preloaded ?? (await records.load(recordId));
  const { state } = loaded;
  if (state.status === 'active' || state.status === 'archived') {
    if (versions.some((v) => v !== undefined && !state.versions.some((s) => s.version === v))) {
      throw new DomainError('not-found', 'No such version of this record');
    }
  }
  let position = 0;
  for (const version of versions) {
    const command: AccessRecord = {
      type: 'AccessRecord',
      recordId,
      accessId: randomUUID(),
      actor: context.actor,
      at: context.at,
      purpose: context.purpose,
      what,
      version,
      ...(context.justification !== undefined ? { justification: context.justification } : {}),
    };
    ({ position } = await records.logAccess(loaded, command, context));
  }
  return { loaded, state: state as ExistingRecordState, revision: loaded.revision!, position };
}
