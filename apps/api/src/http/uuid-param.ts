import { Param, ParseUUIDPipe } from '@nestjs/common';
import { ApiParam } from '@nestjs/swagger';
import { DomainError } from '@medrec/domain';

/**
 * A path parameter that must be a UUID (a record, hold or user id); anything else is an invalid
 * request naming it. The OpenAPI document says so too (`format: uuid`), for generated clients.
 */
export const UuidParam =
  (name: string): ParameterDecorator =>
  (target, method, index) => {
    Param(name, new ParseUUIDPipe({ exceptionFactory: () => DomainError.invalid([{ field: name, message: 'must be a UUID' }]) }))(target, method, index);
    if (method !== undefined) ApiParam({ name, type: String, format: 'uuid' })(target, method, Object.getOwnPropertyDescriptor(target, method)!);
  };
