import { DomainError, FieldError } from './domain-error';

/** Collects field errors so one command reports every problem at once. */
export class Validator {
  private readonly errors: FieldError[] = [];

  check(ok: boolean, field: string, message: string): this {
    if (!ok) this.errors.push({ field, message });
    return this;
  }

  throwIfInvalid(): void {
    if (this.errors.length > 0) throw DomainError.invalid(this.errors);
  }
}

/*
 * The rules below are the domain's: the HTTP layer's DTOs and the CLI validate with these same
 * predicates, and word their messages with the rules here, whose numbers come from the constants.
 */

/** "at most 300 characters", from the limit it names. */
export function atMost(maxLength: number): string {
  return `at most ${maxLength} characters`;
}

export const CALENDAR_DATE_RULE = 'must be a date YYYY-MM-DD';

export const MRN_MIN_LENGTH = 4;
export const MRN_MAX_LENGTH = 20;
export const MRN_RULE = `must be ${MRN_MIN_LENGTH}-${MRN_MAX_LENGTH} letters, digits or hyphens`;
const MRN = new RegExp(`^[A-Za-z0-9][A-Za-z0-9-]{${MRN_MIN_LENGTH - 1},${MRN_MAX_LENGTH - 1}}$`);

export const PERSON_NAME_MAX_LENGTH = 200;
export const PERSON_NAME_RULE = `must be a person name (letters, spaces, . , ' -), ${atMost(PERSON_NAME_MAX_LENGTH)}`;

/** What isText(value, max) asks, in words. */
export function textRule(maxLength: number): string {
  return `must be non-blank, ${atMost(maxLength)}`;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A real calendar date written YYYY-MM-DD (2023-02-30 is refused). */
export function isCalendarDate(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const m = ISO_DATE.exec(value);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

/** Medical record numbers: 4 to 20 letters, digits or hyphens, starting with a letter or digit. */
export function isMrn(value: unknown): value is string {
  return typeof value === 'string' && MRN.test(value);
}

/** Person names: letters (any script), marks, spaces, apostrophes, hyphens, periods, commas; 1-200 chars. */
export function isPersonName(value: unknown): value is string {
  return typeof value === 'string' && value.trim().length > 0 && value.length <= PERSON_NAME_MAX_LENGTH && /^[\p{L}\p{M}][\p{L}\p{M} .,'’-]*$/u.test(value);
}

/** Free text: non-blank, bounded, no control characters other than tab/newline. */
export function isText(value: unknown, max: number): value is string {
  return (
    typeof value === 'string' &&
    value.trim().length > 0 &&
    value.length <= max &&
    // eslint-disable-next-line no-control-regex
    !/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/.test(value)
  );
}

export function isSha256(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{64}$/.test(value);
}

export function isIsoTimestamp(value: unknown): value is string {
  return typeof value === 'string' && !Number.isNaN(Date.parse(value)) && /^\d{4}-\d{2}-\d{2}T/.test(value);
}
