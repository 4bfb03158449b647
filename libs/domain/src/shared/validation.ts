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
  return typeof value === 'string' && /^[A-Za-z0-9][A-Za-z0-9-]{3,19}$/.test(value);
}

/** Person names: letters (any script), marks, spaces, apostrophes, hyphens, periods, commas; 1-200 chars. */
export function isPersonName(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.trim().length > 0 &&
    value.length <= 200 &&
    /^[\p{L}\p{M}][\p{L}\p{M} .,'’-]*$/u.test(value)
  );
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
