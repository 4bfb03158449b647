import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString } from 'class-validator';
import { isText, MAX_REVIEW_NOTE, textRule } from '@medrec/domain';
import { Satisfies } from '../http/satisfies';

export class ReviewEmergencyAccessDto {
  @ApiProperty({ description: `The auditor's finding (PHI: sealed with the record's key, never logged), at most ${MAX_REVIEW_NOTE} characters.` })
  @IsString()
  @IsNotEmpty()
  @Satisfies((value) => isText(value, MAX_REVIEW_NOTE), textRule(MAX_REVIEW_NOTE))
  note: string;
}

export class ReviewEmergencySearchDto {
  @ApiProperty({ description: `The auditor's finding (PHI: sealed with the day's query-audit key, never logged), at most ${MAX_REVIEW_NOTE} characters.` })
  @IsString()
  @IsNotEmpty()
  @Satisfies((value) => isText(value, MAX_REVIEW_NOTE), textRule(MAX_REVIEW_NOTE))
  note: string;
}
