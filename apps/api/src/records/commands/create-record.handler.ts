import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import { KEY_STORE, KeyStore } from '@medrec/crypto';
import { DomainError, validateNewRecord } from '@medrec/domain';
import { ReadModels } from '@medrec/read-models';
import { MatterHolds } from '../../legal-holds/matter-holds';
import { RecordContent } from '../record-content';
import { RecordRepository } from '../record-repository';
import { CreateRecordCommand } from './record-commands';

@CommandHandler(CreateRecordCommand)
export class CreateRecordHandler implements ICommandHandler<CreateRecordCommand> {
  constructor(
    private readonly records: RecordRepository,
    private readonly content: RecordContent,
    private readonly readModels: ReadModels,
    private readonly matterHolds: MatterHolds,
    @Inject(KEY_STORE) private readonly keys: KeyStore,
  ) {}

  async execute({ fields, file, context, allowDuplicate, signal, recordId: fixedId, inspected }: CreateRecordCommand) {
    // The record's own fields first: a bad field is refused before any work is done on the file.
    validateNewRecord({ ...fields, at: context.at });
    const upload = inspected && file ? await this.content.alreadyInspected(file, inspected) : await this.content.inspect(file, signal);
    const duplicate = await this.findDuplicate(fields.mrn, upload.sha256);
    if (duplicate && !allowDuplicate) {
      throw new DomainError('conflict', 'This patient already has a record with identical content; send allowDuplicate=true to store it again', [], {
        existingRecordId: duplicate.recordId,
        duplicateOf: duplicate.recordId,
      });
    }
    // A client that hung up during inspection gets nothing stored for it.
    signal?.throwIfAborted();
    const recordId = fixedId ?? randomUUID();
    // Created here, used (and wiped) by RecordContent.store; a fixed id's key may be left from a try that died.
    const existingKey = fixedId !== undefined ? await this.keys.get(fixedId) : null;
    if (existingKey) existingKey.fill(0);
    else (await this.keys.create(recordId)).fill(0);
    let stored: Awaited<ReturnType<RecordContent['store']>> | undefined;
    let result: Awaited<ReturnType<RecordRepository['execute']>>;
    try {
      stored = await this.content.store(recordId, upload);
      signal?.throwIfAborted();
      result = await this.records.execute({ type: 'CreateRecord', recordId, actor: context.actor, at: context.at, ...fields, content: stored }, context);
    } catch (error) {
      // Nothing was recorded: leave neither content nor a key behind.
      if (stored) await this.content.discard(stored);
      // A fixed id is retried under the same key: destroying it would make the record impossible.
      if (fixedId === undefined) await this.keys.destroy(recordId);
      throw error;
    }
    // Holds over this patient (by MRN) cover the new record too; answered once they do.
    await this.matterHolds.coverNewRecord(recordId, fields.mrn, result.position!, context);
    return {
      id: recordId,
      version: 1 as const,
      revision: result.revision,
      position: result.position,
      sha256: stored.sha256,
      pages: upload.pages,
      contentType: upload.contentType,
      ...(duplicate ? { duplicateOf: duplicate.recordId } : {}),
    };
  }

  /**
   * Same patient, same bytes: looked up once the read model has caught up with every acknowledged
   * write. Still behind after the wait: 503 (try again), not a check against stale data.
   */
  private async findDuplicate(mrn: string, sha256: string) {
    await this.readModels.reachHead();
    return this.readModels.findDuplicate(mrn, sha256);
  }
}
