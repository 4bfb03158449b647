import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import { KEY_STORE, KeyStore } from '@medrec/crypto';
import { RecordContent } from '../record-content';
import { RecordRepository } from '../record-repository';
import { CreateRecordCommand } from './record-commands';

@CommandHandler(CreateRecordCommand)
export class CreateRecordHandler implements ICommandHandler<CreateRecordCommand> {
  constructor(
    private readonly records: RecordRepository,
    private readonly content: RecordContent,
    @Inject(KEY_STORE) private readonly keys: KeyStore,
  ) {}

  async execute({ fields, file, context }: CreateRecordCommand) {
    const { contentType } = this.content.inspect(file);
    const recordId = randomUUID();
    await this.keys.create(recordId);
    const stored = await this.content.store(recordId, file!, contentType);
    try {
      const result = await this.records.execute({ type: 'CreateRecord', recordId, actor: context.actor, at: context.at, ...fields, content: stored }, context);
      return { id: recordId, version: 1 as const, revision: result.revision, position: result.position, sha256: stored.sha256 };
    } catch (error) {
      // Nothing was recorded: leave neither content nor a key behind.
      await this.content.discard(stored);
      await this.keys.destroy(recordId);
      throw error;
    }
  }
}
