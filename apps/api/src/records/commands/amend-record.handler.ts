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

  async execute({ recordId, fields, file, context, expectedRevision, signal }: AmendRecordCommand) {
    const upload = file ? await this.content.inspect(file, signal) : undefined;
    // A client that hung up during inspection gets nothing stored for it.
    signal?.throwIfAborted();
    const stored = upload ? await this.content.store(recordId, upload) : undefined;
    try {
      signal?.throwIfAborted();
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
