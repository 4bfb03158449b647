import { Module } from '@nestjs/common';
import { MulterModule } from '@nestjs/platform-express';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { makePrivateDirSync } from '@medrec/crypto';
import { APP_CONFIG, AppConfig } from '@medrec/platform';
import { MatterHolds } from '../legal-holds/matter-holds';
import { AmendRecordHandler } from './commands/amend-record.handler';
import { CreateRecordHandler } from './commands/create-record.handler';
import { ExecuteRecordCommandHandler } from './commands/execute-record-command.handler';
import {
  GetPageImageHandler,
  GetRecordEventsHandler,
  GetRecordHandler,
  GetVersionContentHandler,
  GetVersionTextHandler,
} from './queries/record-query.handlers';
import { RecordContent } from './record-content';
import { RecordRepository } from './record-repository';
import { RecordStatusController } from './record-status.controller';
import { RecordsController } from './records.controller';
import { spoolStorage } from './spool-storage';

/** Spooled uploads older than this at start are leftovers of a process that died mid-request. */
const STALE_UPLOAD_MS = 10 * 60_000;

/**
 * The spool directory of uploads. A process killed mid-request leaves its spooled file (a
 * patient's document, unencrypted) behind: those are removed when the next process starts.
 * Files being written are recent (their mtime moves), so another process's uploads are kept.
 */
function uploadDir(config: AppConfig): string {
  const dir = join(config.dataDir, 'tmp', 'uploads');
  makePrivateDirSync(dir);
  const staleBefore = Date.now() - STALE_UPLOAD_MS;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    try {
      if (statSync(path).mtimeMs < staleBefore) rmSync(path, { force: true });
    } catch {
      // Removed meanwhile by the request that owned it.
    }
  }
  return dir;
}

@Module({
  imports: [
    MulterModule.registerAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        // Spooled to disk (never whole in memory), removed when the response ends (create-app.ts).
        storage: spoolStorage(uploadDir(config)),
        limits: { fileSize: config.limits.uploadBytes, files: 1, fields: 20, fieldSize: 64 * 1024, parts: 25 },
      }),
    }),
  ],
  controllers: [RecordsController, RecordStatusController],
  providers: [
    RecordRepository,
    RecordContent,
    CreateRecordHandler,
    AmendRecordHandler,
    ExecuteRecordCommandHandler,
    GetRecordHandler,
    GetVersionContentHandler,
    GetVersionTextHandler,
    GetPageImageHandler,
    GetRecordEventsHandler,
    MatterHolds,
  ],
  // MulterModule: controllers of other modules that take an upload spool it the same way (amendment requests' accept).
  exports: [RecordRepository, RecordContent, MatterHolds, MulterModule],
})
export class RecordsModule {}
