import type { Actor } from '../shared/roles';
import { actors, deciderSpec, RECORD_ID } from '../testing';
import {
  EmergencyAccessReviewed,
  emergencyAccessReviewDecider,
  EmergencySearchReviewed,
  emergencySearchReviewDecider,
  isEmergencyJustification,
  MAX_EMERGENCY_JUSTIFICATION,
  MAX_REVIEW_NOTE,
  ReviewEmergencyAccess,
  ReviewEmergencySearch,
} from './emergency-access';

const auditor: Actor = { userId: 'u-0006', username: 'aud.itor', role: 'auditor' };
const ACCESS = '0190a3c4-0000-7000-8000-0000000000e1';
const OTHER_ACCESS = '0190a3c4-0000-7000-8000-0000000000e2';
const AT = '2024-03-09T10:00:00.000Z';

const spec = deciderSpec(emergencyAccessReviewDecider);

const review = (overrides: Partial<ReviewEmergencyAccess> = {}): ReviewEmergencyAccess => ({
  type: 'ReviewEmergencyAccess',
  recordId: RECORD_ID,
  accessId: ACCESS,
  accessedBy: actors.clinician.username,
  note: 'Patient was admitted through the ED that night: justified',
  actor: auditor,
  at: AT,
  ...overrides,
});

const reviewed = (accessId = ACCESS): EmergencyAccessReviewed => ({
  type: 'EmergencyAccessReviewed',
  data: {
    recordId: RECORD_ID,
    accessId,
    note: 'Patient was admitted through the ED that night: justified',
    reviewedBy: auditor.username,
    reviewerRole: 'auditor',
    reviewedAt: AT,
  },
});

describe('isEmergencyJustification', () => {
  it.each([
    ['a sentence', 'Unconscious patient, allergies unknown', true],
    ['exactly the limit', 'j'.repeat(MAX_EMERGENCY_JUSTIFICATION), true],
    ['one over the limit', 'j'.repeat(MAX_EMERGENCY_JUSTIFICATION + 1), false],
    ['empty', '', false],
    ['blank', '   ', false],
    ['not a string', 42, false],
    ['absent', undefined, false],
  ])('%s -> %s', (_, value, ok) => {
    expect(isEmergencyJustification(value)).toBe(ok);
  });
});

describe('emergencyAccessReviewDecider', () => {
  it("records the auditor's review of an emergency access, attributed", () => {
    spec.given([]).when(review()).then([reviewed()]);
  });

  it('reviews each access of the record on its own', () => {
    spec
      .given([reviewed(OTHER_ACCESS)])
      .when(review())
      .thenState((state) => expect(Object.keys(state.reviewed).sort()).toEqual([ACCESS, OTHER_ACCESS].sort()));
  });

  it('refuses a second review of the same access (409)', () => {
    spec.given([reviewed()]).when(review()).thenThrows('conflict', 'already been reviewed');
  });

  it('refuses a review by the person who broke the glass (403)', () => {
    spec
      .given([])
      .when(review({ accessedBy: auditor.username }))
      .thenThrows('forbidden');
  });

  it.each([
    ['blank', '  '],
    ['too long', 'n'.repeat(MAX_REVIEW_NOTE + 1)],
  ])('refuses a %s note (invalid, naming the note)', (_, note) => {
    spec.given([]).when(review({ note })).thenThrows('invalid', 'note');
  });
});

describe('emergencySearchReviewDecider', () => {
  const QUERY = '0190a3c4-0000-7000-8000-0000000000f1';
  const OTHER_QUERY = '0190a3c4-0000-7000-8000-0000000000f2';
  const DAY = '2024-03-08';
  const searchSpec = deciderSpec(emergencySearchReviewDecider);
  const reviewSearch = (overrides: Partial<ReviewEmergencySearch> = {}): ReviewEmergencySearch => ({
    type: 'ReviewEmergencySearch',
    queryId: QUERY,
    day: DAY,
    searchedBy: actors.clinician.username,
    note: 'Searched for allergies of an unconscious patient: justified',
    actor: auditor,
    at: AT,
    ...overrides,
  });
  const searchReviewed = (queryId = QUERY): EmergencySearchReviewed => ({
    type: 'EmergencySearchReviewed',
    data: {
      queryId,
      day: DAY,
      note: 'Searched for allergies of an unconscious patient: justified',
      reviewedBy: auditor.username,
      reviewerRole: 'auditor',
      reviewedAt: AT,
    },
  });

  it("records the auditor's review of an emergency search, attributed", () => {
    searchSpec.given([]).when(reviewSearch()).then([searchReviewed()]);
  });

  it("reviews each of the day's searches on its own", () => {
    searchSpec
      .given([searchReviewed(OTHER_QUERY)])
      .when(reviewSearch())
      .thenState((state) => expect(Object.keys(state.reviewed).sort()).toEqual([QUERY, OTHER_QUERY].sort()));
  });

  it('refuses a second review of the same search (409)', () => {
    searchSpec.given([searchReviewed()]).when(reviewSearch()).thenThrows('conflict', 'already been reviewed');
  });

  it('refuses a review by the person who searched (403)', () => {
    searchSpec
      .given([])
      .when(reviewSearch({ searchedBy: auditor.username }))
      .thenThrows('forbidden');
  });

  it('refuses a blank note (invalid, naming the note)', () => {
    searchSpec
      .given([])
      .when(reviewSearch({ note: ' ' }))
      .thenThrows('invalid', 'note');
  });
});
