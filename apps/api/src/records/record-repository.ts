import { Inject, Injectable, Logger } from '@nestjs/common';
import { CommandContext, EventSourcedRunner, LoadedStream, PipelinedAppender, RunResult } from '@medrec/application';
import { BLOB_STORE, BlobStore } from '@medrec/blob-store';
import { KEY_STORE, KeyStore } from '@medrec/crypto';
import {
  AccessRecord,
  decideAccess,
  recordAccessStream,
  RecordCommand,
  recordDecider,
  RecordEvent,
  RecordState,
  recordStream,
} from '@medrec/domain';

export type LoadedRecord = LoadedStream<RecordState, RecordEvent>;

/** Records' streams: load and fold, run commands, log accesses, finish crypto-shredding. */
@Injectable()
export class RecordRepository {
  private readonly logger = new Logger(RecordRepository.name);

  constructor(
    private readonly runner: EventSourcedRunner,
    private readonly accessLog: PipelinedAppender,
    @Inject(KEY_STORE) private readonly keys: KeyStore,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
  ) {}

  async load(recordId: string): Promise<LoadedRecord> {
    const loaded = await this.runner.load(recordStream(recordId), recordId, recordDecider);
    if (loaded.state.status === 'destroyed') await this.shred(recordId);
    return loaded;
  }

  async execute(command: RecordCommand, context: CommandContext, expectedRevision?: number): Promise<RunResult<RecordState>> {
    const result = await this.runner.run({
      stream: recordStream(command.recordId),
      keyId: command.recordId,
      decider: recordDecider,
      command,
      context,
      expectedRevision,
    });
    if (result.state.status === 'destroyed' && result.appended.some((e) => e.type === 'RecordDestroyed')) {
      await this.shred(command.recordId);
    }
    return result;
  }

  /** Decides a read against the record and appends RecordAccessed before anything is returned. */
  async logAccess(loaded: LoadedRecord, command: AccessRecord, context: CommandContext): Promise<{ position: number }> {
    const accessed = decideAccess(command, loaded.state);
    return this.accessLog.append(recordAccessStream(command.recordId), [accessed], context);
  }

  /**
   * Crypto-shredding: destroys the record's data key, then its stored content. Idempotent, and
   * repeated whenever a destroyed record is loaded, so a crash after RecordDestroyed was appended
   * cannot leave the key or the content behind for long.
   */
  async shred(recordId: string): Promise<void> {
    const keyDestroyed = !(await this.keys.isDestroyed(recordId));
    if (keyDestroyed) await this.keys.destroy(recordId);
    const removed = await this.blobs.deletePrefix(`records/${recordId}/`);
    if (keyDestroyed || removed > 0) {
      this.logger.log(`Record ${recordId} shredded: data key ${keyDestroyed ? 'destroyed' : 'already gone'}, ${removed} stored object(s) deleted`);
    }
  }
}
