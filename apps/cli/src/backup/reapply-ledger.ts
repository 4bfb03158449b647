import { CommandContext, EventSourcedRunner } from '@medrec/application';
import { recordBlobPrefix } from '@medrec/blob-store';
import { disposalStream, RecordDestroyed, recordDecider, recordStream } from '@medrec/domain';
import type { DestructionLedgerEntry } from '@medrec/platform/stores/destruction-ledger';
import type { Stores } from '@medrec/platform/stores/open-stores';

/** What re-applying the destruction ledger did. */
export interface LedgerApplication {
  /** Records alive in the store though the ledger has them destroyed: destroyed again (tombstone appended, key destroyed, blobs deleted). */
  redestroyed: string[];
  /** Ledger entries whose records the store does not have at all (created after the backup): their keys are marked destroyed. */
  absent: string[];
  /** Disposal batches of the ledger whose streams the store lacks: their events and certificates postdate the backup. */
  batchesAfterBackup: string[];
  /** Lines of the ledger that are not valid entries (reported, not applied). */
  invalidLedgerLines: number[];
}

/**
 * Every record of the ledger is destroyed in the restored store, whether or not it was when the
 * backup was taken (idempotent, and no reliance on clocks). A key already destroyed in the store
 * means its record's tombstone is there too (a key is destroyed only once its RecordDestroyed is
 * appended): nothing to do. A record the backup lacks altogether has its key id marked destroyed,
 * so it can never be written again. The keys go together at the end (one key-store write).
 */
export async function reapplyLedger(
  stores: Stores,
  entries: readonly DestructionLedgerEntry[],
  context: CommandContext,
): Promise<Omit<LedgerApplication, 'invalidLedgerLines'>> {
  const runner = new EventSourcedRunner(stores.events, stores.codec);
  const redestroyed: string[] = [];
  const absent: string[] = [];
  const batches = new Set<string>();
  const keysToDestroy = new Set<string>();
  for (const entry of entries) {
    if (keysToDestroy.has(entry.recordId) || (await stores.keys.isDestroyed(entry.recordId))) continue;
    const stream = recordStream(entry.recordId);
    const loaded = await runner.load(stream, entry.recordId, recordDecider);
    if (loaded.state.status === 'absent') absent.push(entry.recordId);
    else if (loaded.state.status !== 'destroyed') {
      const tombstone: RecordDestroyed = {
        type: 'RecordDestroyed',
        data: {
          recordId: entry.recordId,
          authority: entry.authority,
          approvedBy: entry.approvedBy,
          destroyedBy: entry.destroyedBy,
          destroyedAt: entry.destroyedAt,
          ...(entry.batchId !== undefined ? { batchId: entry.batchId } : {}),
        },
      };
      await runner.appendChained(stream, entry.recordId, [tombstone], context, loaded.revision ?? 'no_stream', loaded.lastHash);
      redestroyed.push(entry.recordId);
    }
    keysToDestroy.add(entry.recordId);
    await stores.blobs.deletePrefix(recordBlobPrefix(entry.recordId));
    if (entry.batchId && (await stores.events.streamRevision(disposalStream(entry.batchId))) === null) batches.add(entry.batchId);
  }
  if (keysToDestroy.size > 0) await stores.keys.destroyAll([...keysToDestroy]);
  return { redestroyed, absent, batchesAfterBackup: [...batches] };
}
