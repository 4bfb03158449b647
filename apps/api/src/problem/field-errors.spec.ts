import 'reflect-metadata';
import { plainToInstance, Type } from 'class-transformer';
import { ArrayMinSize, IsArray, IsDefined, IsIn, IsNotEmpty, IsObject, IsString, Matches, MaxLength, ValidateNested, validate } from 'class-validator';
import { fieldErrorsOf } from './field-errors';

class Inner {
  @IsString()
  @IsNotEmpty()
  @MaxLength(5)
  name!: string;
}

class Outer {
  @IsString()
  @Matches(/^[a-z]+$/)
  @MaxLength(10)
  code!: string;

  @IsArray()
  @ArrayMinSize(1)
  @IsIn(['a', 'b'], { each: true })
  tags!: string[];

  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => Inner)
  inner!: Inner;
}

const errorsOf = async (plain: object) => fieldErrorsOf(await validate(plainToInstance(Outer, plain), { whitelist: true, forbidNonWhitelisted: true }));

describe('fieldErrorsOf', () => {
  it('a missing or wrongly typed field says so, once, not which length or pattern it misses', async () => {
    expect(await errorsOf({})).toEqual([
      { field: 'code', message: 'code must be a string' },
      { field: 'tags', message: 'tags must be an array' },
      { field: 'inner', message: 'inner should not be null or undefined' },
    ]);
    expect(await errorsOf({ code: { x: 1 }, tags: 'a', inner: 'x' })).toEqual([
      { field: 'code', message: 'code must be a string' },
      { field: 'tags', message: 'tags must be an array' },
      { field: 'inner', message: 'inner must be an object' },
    ]);
  });

  it('a value of the right type gets the first declared constraint it fails, nested fields by path', async () => {
    expect(await errorsOf({ code: 'ABCDEFGHIJKL', tags: [], inner: { name: '' } })).toEqual([
      { field: 'code', message: 'code must match /^[a-z]+$/ regular expression' },
      { field: 'tags', message: 'tags must contain at least 1 elements' },
      { field: 'inner.name', message: 'name should not be empty' },
    ]);
  });

  it('an unknown field is named, not quoted', async () => {
    expect(await errorsOf({ code: 'abc', tags: ['a'], inner: { name: 'n', secret: 'QX-99173' } })).toEqual([
      { field: 'inner.secret', message: 'is not an allowed field' },
    ]);
  });
});
