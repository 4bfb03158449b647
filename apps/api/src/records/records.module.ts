import { Module } from '@nestjs/common';
import { MulterModule } from '@nestjs/platform-express';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { diskStorage } from 'multer';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { AmendRecordHandler } from './commands/amend-record.handler';
import { CreateRecordHandler } from './commands/create-record.handler';
import { ExecuteRecordCommandHandler } from './commands/execute-record-command.handler';
import { GetRecordEventsHandler, GetRecordHandler, GetVersionContentHandler, GetVersionTextHandler } from './queries/record-query.handlers';
import { RecordContent } from './record-content';
import { RecordRepository } from './record-repository';
import { RecordsController } from './records.controller';

function uploadDir(config: AppConfig): string {
  const dir = join(config.dataDir, 'tmp', 'uploads');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

@Module({
  imports: [
    MulterModule.registerAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        // Spooled to disk (never whole in memory), removed when the response ends (create-app.ts).
        storage: diskStorage({ destination: uploadDir(config) }),
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
  exports: [RecordRepository, RecordContent],
})
export class RecordsModule {}
