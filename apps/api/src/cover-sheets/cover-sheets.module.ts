import { Module } from '@nestjs/common';
import { CoverSheetsController } from './cover-sheets.controller';
import { CoverSheets } from './cover-sheets.service';

/** POST /api/cover-sheets (and /batch), GET /api/cover-sheets/separator and /:id, POST /api/cover-sheets/:id/void. CoverSheets is exported for the stacks that use the sheets. */
@Module({
  controllers: [CoverSheetsController],
  providers: [CoverSheets],
  exports: [CoverSheets],
})
export class CoverSheetsModule {}
