import { type Decider, unhandled } from '../shared/decider';
import { DomainError } from '../shared/domain-error';
import type { Actor } from '../shared/roles';
import { isText, textRule } from '../shared/validation';

/*
 * Break-the-glass. A read declared `emergency` must say why (the justification, kept sealed in the
 * read's RecordAccessed); an auditor then reviews each such read once, on the record's review
 * stream below.
 */

/** The longest justification of an emergency read (characters). */
export const MAX_EMERGENCY_JUSTIFICATION = 1000;
export const EMERGENCY_JUSTIFICATION_RULE = `is required with the purpose emergency: ${textRule(MAX_EMERGENCY_JUSTIFICATION)}`;

/** A justification of an emergency read: non-blank, at most 1,000 characters, no control characters. */
export function isEmergencyJustification(value: unknown): value is string {
  return isText(value, MAX_EMERGENCY_JUSTIFICATION);
}

/** The longest note of a review (characters). */
export const MAX_REVIEW_NOTE = 2000;

/**
 * The reviews of one record's emergency reads: `emergency-access-review-<recordId>`. Its PHI (the
 * note) is sealed with the record's own key, so a destruction shreds it with the record.
 */
export const emergencyAccessReviewStream = (recordId: string): string => `emergency-access-review-${recordId}`;

export interface ReviewEmergencyAccess {
  type: 'ReviewEmergencyAccess';
  recordId: string;
  /** The emergency read reviewed (a RecordAccessed of the record's access stream). */
  accessId: string;
  /** Who made the read (its RecordAccessed's actor). */
  accessedBy: string;
  note: string;
  actor: Actor;
  at: string;
}

export type EmergencyAccessReviewCommand = ReviewEmergencyAccess;

export interface EmergencyAccessReviewed {
  type: 'EmergencyAccessReviewed';
  data: { recordId: string; accessId: string; note: string; reviewedBy: string; reviewerRole: Actor['role']; reviewedAt: string };
}

export type EmergencyAccessReviewEvent = EmergencyAccessReviewed;

export const EMERGENCY_ACCESS_REVIEW_PHI_FIELDS: Record<EmergencyAccessReviewEvent['type'], readonly string[]> = {
  EmergencyAccessReviewed: ['note'],
};

/** The reviews made so far, by access id. */
export interface EmergencyAccessReviewState {
  reviewed: Readonly<Record<string, { reviewedBy: string; reviewedAt: string }>>;
}

/** Why a review cannot be made (one review per emergency access or search, never by whoever broke the glass), or nothing. */
function refuseReview(note: string, alreadyReviewed: boolean, madeBy: string, reviewer: Actor): void {
  if (!isText(note, MAX_REVIEW_NOTE)) throw DomainError.invalid([{ field: 'note', message: textRule(MAX_REVIEW_NOTE) }]);
  if (alreadyReviewed) throw new DomainError('conflict', 'This emergency access has already been reviewed');
  if (madeBy === reviewer.username) throw new DomainError('forbidden', 'An emergency access cannot be reviewed by the person who made it');
}

function decideReview(command: ReviewEmergencyAccess, state: EmergencyAccessReviewState): EmergencyAccessReviewed[] {
  refuseReview(command.note, Object.hasOwn(state.reviewed, command.accessId), command.accessedBy, command.actor);
  return [
    {
      type: 'EmergencyAccessReviewed',
      data: {
        recordId: command.recordId,
        accessId: command.accessId,
        note: command.note,
        reviewedBy: command.actor.username,
        reviewerRole: command.actor.role,
        reviewedAt: command.at,
      },
    },
  ];
}

export const emergencyAccessReviewDecider = {
  initialState: (): EmergencyAccessReviewState => ({ reviewed: {} }),
  // One command and one event: an unknown type (written by a newer version) stops the fold.
  decide(command: EmergencyAccessReviewCommand, state: EmergencyAccessReviewState): EmergencyAccessReviewEvent[] {
    if (command.type !== 'ReviewEmergencyAccess') return unhandled(command as never, 'command');
    return decideReview(command, state);
  },
  evolve(state: EmergencyAccessReviewState, event: EmergencyAccessReviewEvent): EmergencyAccessReviewState {
    if (event.type !== 'EmergencyAccessReviewed') return unhandled(event as never, 'event');
    return { reviewed: { ...state.reviewed, [event.data.accessId]: { reviewedBy: event.data.reviewedBy, reviewedAt: event.data.reviewedAt } } };
  },
} satisfies Decider<EmergencyAccessReviewCommand, EmergencyAccessReviewEvent, EmergencyAccessReviewState>;

/*
 * Break-the-glass searches. A search declared `emergency` says why as well (kept sealed in its
 * PatientDataQueried, on the day's query-audit stream); an auditor reviews each such search once,
 * on the day's review stream below.
 */

/**
 * The reviews of one day's emergency searches: `emergency-search-review-<YYYY-MM-DD>`, the day the
 * searches were made. Its PHI (the note) is sealed with that day's query-audit key
 * (`query-audit-<YYYY-MM-DD>`), with the searches it reviews.
 */
export const emergencySearchReviewStream = (day: string): string => `emergency-search-review-${day}`;

export interface ReviewEmergencySearch {
  type: 'ReviewEmergencySearch';
  /** The search reviewed (a PatientDataQueried declared emergency). */
  queryId: string;
  /** The day (UTC) the search was made: its query-audit stream's. */
  day: string;
  /** Who searched (its PatientDataQueried's actor). */
  searchedBy: string;
  note: string;
  actor: Actor;
  at: string;
}

export interface EmergencySearchReviewed {
  type: 'EmergencySearchReviewed';
  data: { queryId: string; day: string; note: string; reviewedBy: string; reviewerRole: Actor['role']; reviewedAt: string };
}

export const EMERGENCY_SEARCH_REVIEW_PHI_FIELDS: Record<EmergencySearchReviewed['type'], readonly string[]> = {
  EmergencySearchReviewed: ['note'],
};

export const emergencySearchReviewDecider = {
  initialState: (): EmergencyAccessReviewState => ({ reviewed: {} }),
  decide(command: ReviewEmergencySearch, state: EmergencyAccessReviewState): EmergencySearchReviewed[] {
    if (command.type !== 'ReviewEmergencySearch') return unhandled(command as never, 'command');
    refuseReview(command.note, Object.hasOwn(state.reviewed, command.queryId), command.searchedBy, command.actor);
    return [
      {
        type: 'EmergencySearchReviewed',
        data: {
          queryId: command.queryId,
          day: command.day,
          note: command.note,
          reviewedBy: command.actor.username,
          reviewerRole: command.actor.role,
          reviewedAt: command.at,
        },
      },
    ];
  },
  evolve(state: EmergencyAccessReviewState, event: EmergencySearchReviewed): EmergencyAccessReviewState {
    if (event.type !== 'EmergencySearchReviewed') return unhandled(event as never, 'event');
    return { reviewed: { ...state.reviewed, [event.data.queryId]: { reviewedBy: event.data.reviewedBy, reviewedAt: event.data.reviewedAt } } };
  },
} satisfies Decider<ReviewEmergencySearch, EmergencySearchReviewed, EmergencyAccessReviewState>;
