import { Module } from '@nestjs/common';
import { RecordsModule } from '../records/records.module';
import { CoverSheetsModule } from '../cover-sheets/cover-sheets.module';
import { StacksModule } from '../stacks/stacks.module';
import { ReviewController } from './review.controller';
import { ReviewItems } from './review-items';

/** /api/review: the quality-review queue (review-item streams) and its resolutions. */
@Module({
  imports: [RecordsModule, StacksModule, CoverSheetsModule],
  controllers: [ReviewController],
  providers: [ReviewItems],
})
export class ReviewModule {}
