import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { currentVersion } from '@medrec/domain';
import { RecordContent } from '../record-content';
import { RecordRepository } from '../record-repository';
import { AmendRecordCommand } from './record-commands';

@CommandHandler(AmendRecordCommand)
export class AmendRecordHandler implements ICommandHandler<AmendRecordCommand> {
  constructor(
    private readonly records: RecordRepository,
    private readonly content: RecordContent,
  ) {}

  async execute({ recordId, fields, file, context, expectedRevision }: AmendRecordCommand) {
    const stored = file ? await this.content.store(recordId, await this.content.inspect(file)) : undefined;
    try {
      const result = await this.records.execute(
        { type: 'AmendRecord', recordId, actor: context.actor, at: context.at, ...fields, content: stored },
        context,
        expectedRevision,
      );
      if (result.state.status === 'absent') throw new Error('unreachable: amended record is absent');
      return { version: currentVersion(result.state).version, revision: result.revision, position: result.position };
    } catch (error) {
      if (stored) await this.content.discard(stored);
      throw error;
    }
  }
}
