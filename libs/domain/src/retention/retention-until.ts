import type { DocumentType } from '../record/document-type';
import type { RetentionSchedule } from './retention.decider';

/** Under this age at the last encounter, the schedule's minors' rule applies. */
export const AGE_OF_MAJORITY = 18;

/** What the retention rule needs to know of a record. Dates are YYYY-MM-DD. */
export interface RetentionFacts {
  documentType: DocumentType;
  /** The record's (last) encounter date; null when it has none. */
  encounterDate: string | null;
  /** The day the record was created (used when there is no encounter date). */
  createdDay: string;
  /** Null when unknown: no minors' rule then. */
  dateOfBirth: string | null;
}

export interface RetentionDate {
  /** The last day of the retention period: on and after it the record is due. */
  retentionUntil: string;
  /** The rule that gave the date, in words, e.g. "10 years after last encounter 2014-03-02". */
  rule: string;
}

/**
 * Years after a day. An anniversary of 29 February falls on 1 March in a common year: the later
 * of the two candidate days, so that no record is due a day early.
 */
export function addYears(day: string, years: number): string {
  const [y, m, d] = day.split('-').map(Number);
  const date = new Date(Date.UTC(y + years, m - 1, d));
  // Date.UTC rolls 29 February of a common year over to 1 March on its own; years before 100 need setUTCFullYear.
  if (y + years < 100) date.setUTCFullYear(y + years, m - 1, d);
  return date.toISOString().slice(0, 10);
}

function ordinal(n: number): string {
  const tens = n % 100;
  if (tens >= 11 && tens <= 13) return `${n}th`;
  return `${n}${['th', 'st', 'nd', 'rd'][n % 10] ?? 'th'}`;
}

/** Whole years of age on a day. */
export function ageOn(dateOfBirth: string, day: string): number {
  const [by, bm, bd] = dateOfBirth.split('-').map(Number);
  const [y, m, d] = day.split('-').map(Number);
  return y - by - (m < bm || (m === bm && d < bd) ? 1 : 0);
}

/**
 * When a record's retention ends under a schedule: `years` after its last encounter (its
 * creation day when it has no encounter date); for a patient who was a minor at that encounter
 * and a schedule with a minors' rule, the later of that and the `minorsUntilAge` birthday.
 */
export function retentionUntil(facts: RetentionFacts, schedule: Pick<RetentionSchedule, 'years' | 'minorsUntilAge'>): RetentionDate {
  const base = facts.encounterDate ?? facts.createdDay;
  const after = facts.encounterDate ? 'last encounter' : 'creation';
  const byYears = addYears(base, schedule.years);
  const yearsRule = `${schedule.years} years after ${after} ${base}`;
  const minor = schedule.minorsUntilAge !== undefined && facts.dateOfBirth !== null && ageOn(facts.dateOfBirth, base) < AGE_OF_MAJORITY;
  if (!minor) return { retentionUntil: byYears, rule: yearsRule };
  const age = schedule.minorsUntilAge!;
  const birthday = addYears(facts.dateOfBirth!, age);
  return birthday > byYears
    ? { retentionUntil: birthday, rule: `minor at ${after}: until ${ordinal(age)} birthday ${birthday}` }
    : { retentionUntil: byYears, rule: `minor at ${after}: ${yearsRule} (later than ${ordinal(age)} birthday ${birthday})` };
}
