import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { ApiParam } from '@nestjs/swagger';
import type { Request } from 'express';
import { DomainError } from '@medrec/domain';

/** Versions (and pages) are numbered from 1; nine digits bound the value far inside the safe integers. */
const CANONICAL_VERSION = /^[1-9][0-9]{0,8}$/;

/**
 * A version number in a path, in its one canonical form: a positive integer without sign, leading
 * zeros, exponent, hexadecimal prefix or spaces (`1e0`, `0x1`, `+1`, ` 1`, `01` answer 400), so that
 * one version has one URL.
 */
export function parseVersion(value: unknown, field: string): number {
  if (typeof value === 'string' && CANONICAL_VERSION.test(value)) return Number(value);
  throw DomainError.invalid([{ field, message: 'must be a version number: a positive integer, digits only, without leading zeros' }]);
}

/**
 * The path parameter `name` as a version number (see parseVersion). A parameter decorator of its
 * own rather than `@Param(name, pipe)`: the global ValidationPipe turns a `number` parameter into
 * `+value` before any pipe sees it, and `+'1e0'`, `+'0x1'`, `+' 1'` are all 1.
 */
export const VersionParam = createParamDecorator((name: string, ctx: ExecutionContext): number =>
  parseVersion(ctx.switchToHttp().getRequest<Request>().params[name], name),
);

/** The OpenAPI description of a version path parameter (a custom parameter decorator has none of its own). */
export const ApiVersionParam = (name: string) => ApiParam({ name, type: 'integer', description: 'a version number (from 1), digits only' });

/** A page number in a path (from 1), in the same one canonical form as a version number (see parseVersion). */
export function parsePage(value: unknown, field: string): number {
  if (typeof value === 'string' && CANONICAL_VERSION.test(value)) return Number(value);
  throw DomainError.invalid([{ field, message: 'must be a page number: a positive integer, digits only, without leading zeros' }]);
}

/** The path parameter `name` as a page number (see parsePage; a decorator of its own for the reason VersionParam is). */
export const PageParam = createParamDecorator((name: string, ctx: ExecutionContext): number =>
  parsePage(ctx.switchToHttp().getRequest<Request>().params[name], name),
);

/** The OpenAPI description of a page path parameter. */
export const ApiPageParam = (name: string) => ApiParam({ name, type: 'integer', description: 'a page number (from 1), digits only' });
