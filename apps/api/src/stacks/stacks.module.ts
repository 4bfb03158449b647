import { Module } from '@nestjs/common';
import { CoverSheetsModule } from '../cover-sheets/cover-sheets.module';
import { RecordsModule } from '../records/records.module';
import { StackSplitter } from './stack-splitter';
import { StacksController } from './stacks.controller';
import { Stacks } from './stacks.service';

/** POST /api/stacks, GET /api/stacks/:id, and the splitter that files their pages. Stacks is exported for the review queue (stack pages assigned). */
@Module({
  imports: [RecordsModule, CoverSheetsModule],
  controllers: [StacksController],
  providers: [Stacks, StackSplitter],
  exports: [Stacks],
})
export class StacksModule {}
