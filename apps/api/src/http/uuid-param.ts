import { Param, ParseUUIDPipe } from '@nestjs/common';
import { DomainError } from '@medrec/domain';

/** A path parameter that must be a UUID (a record, hold or user id); anything else is an invalid request naming it. */
export const UuidParam = (name: string) =>
  Param(name, new ParseUUIDPipe({ exceptionFactory: () => DomainError.invalid([{ field: name, message: 'must be a UUID' }]) }));
