import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { CommandContext, EventSourcedRunner, LoadedStream, PhiCodec, PipelinedAppender, RunResult } from '@medrec/application';
import { BLOB_STORE, BlobStore, moveToArchive, recordBlobPrefix } from '@medrec/blob-store';
import { KEY_STORE, KeyStore } from '@medrec/crypto';
import {
  AccessRecord,
  decideAccess,
  ExistingRecordState,
  recordAccessStream,
  RecordCommand,
  recordDecider,
  RecordEvent,
  RecordState,
  recordStream,
} from '@medrec/domain';
import { DestructionLedger, DestructionTombstone } from '@medrec/platform';
import { mapConcurrently } from '../common/map-concurrently';
import { timed } from '../common/stage-times';

export type LoadedRecord = LoadedStream<RecordState, RecordEvent>;

/** Records whose stored content shredAll deletes at once. */
const BLOB_DELETES_AT_ONCE = 16;

/** Records' streams: load and fold, run commands, log accesses, finish crypto-shredding. */
@Injectable()
export class RecordRepository implements OnModuleInit {
  private readonly logger = new Logger(RecordRepository.name);
  /** Recently read records, decrypted; bounded. */
  private readonly cache = new LRUCache<string, LoadedRecord>({ max: 2000 });

  constructor(
    private readonly eventSourced: EventSourcedRunner,
    private readonly accessLog: PipelinedAppender,
    private readonly codec: PhiCodec,
    @Inject(KEY_STORE) private readonly keys: KeyStore,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    private readonly ledger: DestructionLedger,
  ) {}

  onModuleInit(): void {
    this.ledger.ensureWritable();
  }

  /**
   * Loads a record, catching up from the cached copy when there is one (other processes' writes
   * included: only the events after the cached revision are read). Destroyed records are never
   * cached, and once destroyed are re-read whole so that no decrypted PHI outlives the key.
   */
  async load(recordId: string): Promise<LoadedRecord> {
    const stream = recordStream(recordId);
    const cached = this.cache.get(recordId);
    let loaded = await this.eventSourced.load(stream, recordId, recordDecider, cached);
    if (loaded.state.status === 'destroyed') {
      this.cache.delete(recordId);
      await this.shred(tombstoneOf(loaded.state));
      if (cached) loaded = await this.eventSourced.load(stream, recordId, recordDecider);
      return loaded;
    }
    if (loaded.state.status !== 'absent') this.cache.set(recordId, loaded);
    return loaded;
  }

  /** Reads the record's stream whole from the store, bypassing the cache: for proofs (chain verification). */
  async loadFromStore(recordId: string): Promise<LoadedRecord> {
    const loaded = await this.eventSourced.load(recordStream(recordId), recordId, recordDecider);
    if (loaded.state.status === 'destroyed') await this.shred(tombstoneOf(loaded.state));
    return loaded;
  }

  /** Runs a command on the record's stream; a RecordDestroyed it appends is shredded at once. */
  async execute(command: RecordCommand, context: CommandContext, expectedRevision?: number): Promise<RunResult<RecordState>> {
    return this.executeAll(command.recordId, [{ command, context }], { expectedRevision });
  }

  /**
   * Runs commands on one record's stream in one append (EventSourcedRunner.runAll). A
   * RecordDestroyed it appends is shredded at once, unless `deferShred`: then the caller shreds it
   * (shredAll, with others) before it reports it destroyed; until then any load of it shreds it.
   */
  async executeAll(
    recordId: string,
    steps: Array<{ command: RecordCommand; context: CommandContext }>,
    options: { expectedRevision?: number; deferShred?: boolean } = {},
  ): Promise<RunResult<RecordState>> {
    if (steps.some((s) => s.command.recordId !== recordId)) throw new Error('Every command must be for the same record');
    const since = this.cache.get(recordId);
    this.cache.delete(recordId);
    const result = await this.eventSourced.runAll({
      stream: recordStream(recordId),
      keyId: recordId,
      decider: recordDecider,
      steps,
      expectedRevision: options.expectedRevision,
      since,
    });
    if (!options.deferShred && result.state.status === 'destroyed' && result.appended.some((e) => e.type === 'RecordDestroyed')) {
      await this.shred(tombstoneOf(result.state));
    }
    return result;
  }

  /**
   * Decides a read against the record and appends RecordAccessed before anything is returned. The
   * justification of an emergency read is sealed with the record's key (RECORD_PHI_FIELDS).
   */
  async logAccess(loaded: LoadedRecord, command: AccessRecord, context: CommandContext): Promise<{ position: number }> {
    const accessed = decideAccess(command, loaded.state);
    const event = accessed.data.justification === undefined ? accessed : { type: accessed.type, data: await this.codec.encode(command.recordId, accessed) };
    return this.accessLog.append(recordAccessStream(command.recordId), [event], context);
  }

  /**
   * Crypto-shredding: destroys the record's data key, then its stored content. Idempotent, and
   * repeated whenever a destroyed record is loaded, so a crash after RecordDestroyed was appended
   * cannot leave the key or the content behind for long.
   */
  async shred(destroyed: DestructionTombstone): Promise<void> {
    await this.shredAll([destroyed]);
  }

  /** shred() of several records: their data keys destroyed together, then their content deleted. */
  async shredAll(destroyed: readonly DestructionTombstone[]): Promise<void> {
    await this.deleteContent(
      destroyed.map((d) => d.recordId),
      await this.destroyKeys(destroyed),
    );
  }

  /**
   * The first half of shredding, which makes the records unreadable: their data keys destroyed
   * together (one key-store transaction and WAL truncation), each one's tombstone written to the
   * destruction ledger first (a restore of an older backup re-applies it). Answers the ids whose
   * key it destroyed.
   */
  async destroyKeys(destroyed: readonly DestructionTombstone[]): Promise<Set<string>> {
    const live: DestructionTombstone[] = [];
    for (const d of destroyed) if (!(await this.keys.isDestroyed(d.recordId))) live.push(d);
    if (live.length > 0) {
      await timed('shred:ledger', () => this.ledger.record(live));
      await timed('shred:key-destroy', () => this.keys.destroyAll(live.map((d) => d.recordId)));
    }
    return new Set(live.map((d) => d.recordId));
  }

  /** The second half: the records' stored objects deleted, a few records at a time. */
  async deleteContent(recordIds: readonly string[], keysDestroyed: ReadonlySet<string> = new Set()): Promise<void> {
    const removed = await timed('shred:blob-delete', () =>
      mapConcurrently(recordIds, BLOB_DELETES_AT_ONCE, (recordId) => this.blobs.deletePrefix(recordBlobPrefix(recordId))),
    );
    for (const [index, recordId] of recordIds.entries()) {
      if (keysDestroyed.has(recordId) || removed[index] > 0) {
        this.logger.log(
          `Record ${recordId} shredded: data key ${keysDestroyed.has(recordId) ? 'destroyed' : 'already gone'}, ${removed[index]} stored object(s) deleted`,
        );
      }
    }
  }

  /**
   * Moves an archived record's stored objects (every version's content and OCR text) to the blob
   * store's archive location, where they are read by the same keys. Idempotent, and never throws:
   * content not moved stays readable where it is, and archiving again (a resumed batch) moves it.
   */
  async moveToArchive(record: ExistingRecordState): Promise<number> {
    const keys = new Set<string>();
    for (const version of record.versions) {
      keys.add(version.content.blobKey);
      if (version.ocr.status === 'done') keys.add(version.ocr.textKey);
    }
    let moved = 0;
    try {
      for (const key of keys) if (await moveToArchive(this.blobs, key)) moved++;
    } catch (error) {
      this.logger.error(`Content of archived record ${record.recordId} not moved to the archive location: ${(error as Error).name}`);
    }
    return moved;
  }
}

/** What the destruction ledger keeps of a destroyed record: its tombstone, no PHI. */
export function tombstoneOf(state: ExistingRecordState): DestructionTombstone {
  if (!state.tombstone) throw new Error('The record is not destroyed');
  return { recordId: state.recordId, ...state.tombstone };
}
