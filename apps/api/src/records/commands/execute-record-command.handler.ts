import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { RecordRepository } from '../record-repository';
import { ExecuteRecordCommand } from './record-commands';

@CommandHandler(ExecuteRecordCommand)
export class ExecuteRecordCommandHandler implements ICommandHandler<ExecuteRecordCommand> {
  constructor(private readonly records: RecordRepository) {}

  async execute({ command, context, expectedRevision }: ExecuteRecordCommand) {
    const { revision, position, state } = await this.records.execute(command, context, expectedRevision);
    // Archived content moves to the blob store's archive location (still read by the same keys).
    if (command.type === 'ArchiveRecord' && state.status === 'archived') await this.records.moveToArchive(state);
    return { revision, position };
  }
}
