import { Module } from '@nestjs/common';
import { MulterModule } from '@nestjs/platform-express';
import { memoryStorage } from 'multer';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { AmendRecordHandler } from './commands/amend-record.handler';
import { CreateRecordHandler } from './commands/create-record.handler';
import { ExecuteRecordCommandHandler } from './commands/execute-record-command.handler';
import { GetRecordEventsHandler, GetRecordHandler, GetVersionContentHandler, GetVersionTextHandler } from './queries/record-query.handlers';
import { RecordContent } from './record-content';
import { RecordRepository } from './record-repository';
import { RecordsController } from './records.controller';

@Module({
  imports: [
    MulterModule.registerAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        storage: memoryStorage(),
        limits: { fileSize: config.limits.uploadBytes, files: 1, fields: 20, fieldSize: 64 * 1024, parts: 25 },
      }),
    }),
  ],
  controllers: [RecordsController],
  providers: [
    RecordRepository,
    RecordContent,
    CreateRecordHandler,
    AmendRecordHandler,
    ExecuteRecordCommandHandler,
    GetRecordHandler,
    GetVersionContentHandler,
    GetVersionTextHandler,
    GetRecordEventsHandler,
  ],
})
export class RecordsModule {}
