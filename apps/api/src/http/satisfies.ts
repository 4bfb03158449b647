import { ValidateBy, type ValidationOptions } from 'class-validator';

/**
 * A DTO field must pass one of the domain's predicates (`isMrn`, `isCalendarDate`, `isPersonName`,
 * `isText`...), so the HTTP layer asks exactly what the domain asks and never repeats its regexes.
 * `rule` says what the predicate wants, as the domain words it ("must be a date YYYY-MM-DD"); the
 * message names the field, as class-validator's own do, and never quotes the value.
 */
export function Satisfies(predicate: (value: unknown) => boolean, rule: string, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy({ name: 'satisfies', validator: { validate: (value) => predicate(value), defaultMessage: () => `$property ${rule}` } }, options);
}
