import { ApiProperty } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';

/** Multipart body of POST /api/stacks: the one file (no other field). */
export class ReceiveStackDto {
  @ApiProperty({
    type: 'string',
    format: 'binary',
    description: 'The stack: one PDF or multi-page TIFF as the scanner wrote it (the limits of POST /api/records)',
  })
  @IsOptional()
  file?: unknown;
}
