import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { RecordRepository } from '../record-repository';
import { ExecuteRecordCommand } from './record-commands';

@CommandHandler(ExecuteRecordCommand)
export class ExecuteRecordCommandHandler implements ICommandHandler<ExecuteRecordCommand> {
  constructor(private readonly records: RecordRepository) {}

  async execute({ command, context, expectedRevision }: ExecuteRecordCommand) {
    const { revision, position } = await this.records.execute(command, context, expectedRevision);
    return { revision, position };
  }
}
