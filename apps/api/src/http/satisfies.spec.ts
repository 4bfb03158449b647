import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { IsString, validate } from 'class-validator';
import { CALENDAR_DATE_RULE, isCalendarDate, isMrn, MRN_RULE } from '@medrec/domain';
import { fieldErrorsOf } from '../problem/field-errors';
import { Satisfies } from './satisfies';

class Sample {
  @IsString()
  @Satisfies(isMrn, MRN_RULE)
  mrn!: string;

  @Satisfies(isCalendarDate, CALENDAR_DATE_RULE)
  dateOfBirth!: string;
}

const errorsOf = async (plain: object) => fieldErrorsOf(await validate(plainToInstance(Sample, plain), { whitelist: true, forbidNonWhitelisted: true }));

describe('@Satisfies', () => {
  it('asks exactly what the domain predicate asks, in the words of its rule, naming the field and not the value', async () => {
    expect(await errorsOf({ mrn: 'QX-99173', dateOfBirth: '1958-07-23' })).toEqual([]);
    expect(await errorsOf({ mrn: 'QX_99173', dateOfBirth: '2023-02-30' })).toEqual([
      { field: 'mrn', message: 'mrn must be 4-20 letters, digits or hyphens' },
      { field: 'dateOfBirth', message: 'dateOfBirth must be a date YYYY-MM-DD' },
    ]);
  });

  it('a missing value is still "must be a string" first, as for every DTO field', async () => {
    expect(await errorsOf({ dateOfBirth: '1958-07-23' })).toEqual([{ field: 'mrn', message: 'mrn must be a string' }]);
  });
});
