import type { ValidationError } from '@nestjs/common';
import type { FieldError } from '@medrec/domain';

/**
 * Constraints that say what a value is (there at all, of the right type) before what it lacks: a
 * missing title is "must be a string", not "must be shorter than 300 characters".
 */
const MOST_BASIC_FIRST = ['isDefined', 'isString', 'isInt', 'isNumber', 'isBoolean', 'isObject', 'isArray', 'isNotEmpty'];

/** One error per field: its most basic failed constraint, with the field's dotted path. */
export function fieldErrorsOf(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const message = mostBasicMessage(e.constraints ?? {});
    // class-validator quotes the property, never the value; whitelist errors name the unknown field.
    const own = message ? [{ field, message: message.replace(/^property .* should not exist$/, 'is not an allowed field') }] : [];
    return [...own, ...fieldErrorsOf(e.children ?? [], field)];
  });
}

function mostBasicMessage(constraints: Record<string, string>): string | undefined {
  const basic = MOST_BASIC_FIRST.find((name) => name in constraints);
  // Otherwise the first declared: class-validator lists constraints from the last-declared decorator up.
  return constraints[basic ?? Object.keys(constraints).at(-1)!];
}
