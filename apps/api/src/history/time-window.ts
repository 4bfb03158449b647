import { CALENDAR_DATE_RULE, DomainError, isCalendarDate } from '@medrec/domain';

const DATE_TIME = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):(\d{2}))$/;
const DAY_MS = 86_400_000;
const HELP = 'must be an ISO 8601 date-time with a time zone (e.g. 2025-01-31T14:30:00Z) or a date YYYY-MM-DD';

/**
 * A point in time from a query parameter: an ISO 8601 date-time with a time zone, or a date
 * (UTC), which means the first or the last millisecond of that day as `dateMeans` says.
 * Absent or empty: undefined. Anything else: 400, without quoting the value.
 */
export function parseInstant(value: unknown, field: string, dateMeans: 'start-of-day' | 'end-of-day'): Date | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value === 'string' && isCalendarDate(value)) {
    const start = Date.parse(`${value}T00:00:00.000Z`);
    return new Date(dateMeans === 'start-of-day' ? start : start + DAY_MS - 1);
  }
  const m = typeof value === 'string' ? DATE_TIME.exec(value) : null;
  const valid =
    m !== null &&
    isCalendarDate(m[1]) &&
    Number(m[2]) < 24 &&
    Number(m[3]) < 60 &&
    Number(m[4] ?? 0) < 60 &&
    Number(m[5] ?? 0) < 24 &&
    Number(m[6] ?? 0) < 60 &&
    !Number.isNaN(Date.parse(value as string));
  if (!valid) throw DomainError.invalid([{ field, message: HELP }]);
  return new Date(Date.parse(value as string));
}

/** A window of time, both ends inclusive. */
export interface TimeWindow {
  from: Date;
  to: Date;
}

/**
 * `from`/`to` of a report, defaulting to the `defaultYears` years before `now` (the accounting of
 * disclosures covers six years). A date as `to` includes the whole day.
 */
export function parseWindow(from: unknown, to: unknown, now: Date, defaultYears: number): TimeWindow {
  const end = parseInstant(to, 'to', 'end-of-day') ?? now;
  const defaultStart = new Date(end);
  defaultStart.setUTCFullYear(defaultStart.getUTCFullYear() - defaultYears);
  const start = parseInstant(from, 'from', 'start-of-day') ?? defaultStart;
  if (start.getTime() > end.getTime()) throw DomainError.invalid([{ field: 'from', message: 'must not be after to' }]);
  return { from: start, to: end };
}

/** A day `YYYY-MM-DD` or undefined; anything else 400. */
export function parseDay(value: unknown, field: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (!isCalendarDate(value)) throw DomainError.invalid([{ field, message: CALENDAR_DATE_RULE }]);
  return value;
}
