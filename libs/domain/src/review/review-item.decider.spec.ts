import { actors, deciderSpec } from '../testing';
import { OpenReviewItem, ResolveReviewItem, ReviewItemEvent, reviewItemDecider } from './review-item.decider';

const ITEM = '5f0c2a9e-3b1d-5e7a-8c4f-0d9e8b7a6c51';
const RECORD = '0190a3c4-0000-7000-8000-0000000000a1';
const OTHER_RECORD = '0190a3c4-0000-7000-8000-0000000000a2';
const OPENED_AT = '2024-03-06T08:30:00.000Z';
const RESOLVED_AT = '2024-03-06T09:00:00.000Z';
const ocr = { userId: 'system', username: 'ocr@node-1', role: 'system' as const };

const spec = deciderSpec(reviewItemDecider);

const openItem = (overrides: Partial<OpenReviewItem> = {}): OpenReviewItem => ({
  type: 'OpenReviewItem',
  itemId: ITEM,
  kind: 'blank-page',
  subject: { recordId: RECORD, version: 1, page: 2 },
  measure: { inkRatio: 0.0004, grayStdDev: 3.1 },
  actor: ocr,
  at: OPENED_AT,
  ...overrides,
});

const resolveItem = (overrides: Partial<ResolveReviewItem> = {}): ResolveReviewItem => ({
  type: 'ResolveReviewItem',
  itemId: ITEM,
  action: 'accept',
  actor: actors.clerk,
  at: RESOLVED_AT,
  ...overrides,
});

const opened: ReviewItemEvent = {
  type: 'ReviewItemOpened',
  data: {
    itemId: ITEM,
    kind: 'blank-page',
    recordId: RECORD,
    version: 1,
    page: 2,
    measure: { inkRatio: 0.0004, grayStdDev: 3.1 },
    openedBy: 'ocr@node-1',
    openedAt: OPENED_AT,
  },
};

const resolved = (action: 'accept' | 'rescan' | 'assign', extra: object = {}): ReviewItemEvent => ({
  type: 'ReviewItemResolved',
  data: { itemId: ITEM, action, ...extra, resolvedBy: actors.clerk.username, resolvedAt: RESOLVED_AT },
});

describe('reviewItemDecider', () => {
  describe('opening', () => {
    it('opens an item about a page of a record version, with its measure', () => {
      spec.given([]).when(openItem()).then([opened]);
    });

    it('decides nothing when the item is opened again (a retried OCR flags the same page)', () => {
      spec.given([opened]).when(openItem()).then([]);
      spec
        .given([opened, resolved('accept')])
        .when(openItem())
        .then([]);
    });

    it('opens an item about a run of pages of a stack (what stack splitting opens)', () => {
      spec
        .given([])
        .when(openItem({ kind: 'low-confidence', subject: { stackId: 'S1', pageRange: { first: 1, last: 2 } }, measure: {} }))
        .thenState((state) => expect(state).toMatchObject({ status: 'open', subject: { stackId: 'S1', pageRange: { first: 1, last: 2 } } }));
    });

    it('refuses an unknown kind, a page 0, a backwards range and a measure that is not a number', () => {
      spec
        .given([])
        .when(openItem({ kind: 'smudged' }))
        .thenThrows('invalid', 'kind');
      spec
        .given([])
        .when(openItem({ subject: { recordId: RECORD, version: 1, page: 0 } }))
        .thenThrows('invalid', 'subject');
      spec
        .given([])
        .when(openItem({ subject: { stackId: 'S1', pageRange: { first: 3, last: 2 } } }))
        .thenThrows('invalid', 'pageRange');
      spec
        .given([])
        .when(openItem({ measure: { note: 'Jane Doe' as unknown as number } }))
        .thenThrows('invalid', 'measure');
    });
  });

  describe('resolving', () => {
    it('accepts an open item, attributed', () => {
      spec
        .given([opened])
        .when(resolveItem())
        .then([resolved('accept')]);
    });

    it('refuses to resolve an item twice (409), and an unknown item (404)', () => {
      spec
        .given([opened, resolved('accept')])
        .when(resolveItem({ action: 'rescan' }))
        .thenThrows('conflict', 'already resolved');
      spec.given([]).when(resolveItem()).thenThrows('not-found');
    });

    it('marks an item awaiting a rescan, which may then be accepted but not sent to rescan again', () => {
      spec
        .given([opened])
        .when(resolveItem({ action: 'rescan' }))
        .thenState((state) => expect(state).toMatchObject({ status: 'awaiting-rescan', resolutions: [{ action: 'rescan', by: actors.clerk.username }] }));
      spec
        .given([opened, resolved('rescan')])
        .when(resolveItem({ action: 'rescan' }))
        .thenThrows('conflict', 'awaiting a rescan');
      spec
        .given([opened, resolved('rescan')])
        .when(resolveItem())
        .thenState((state) => expect(state).toMatchObject({ status: 'resolved' }));
    });

    it('assigns to a record with the version that holds the pages, or to a cover sheet', () => {
      spec
        .given([opened])
        .when(resolveItem({ action: 'assign', recordId: OTHER_RECORD, version: 3 }))
        .then([resolved('assign', { recordId: OTHER_RECORD, version: 3 })]);
      spec
        .given([opened])
        .when(resolveItem({ action: 'assign', coverSheetId: 'CS1' }))
        .then([resolved('assign', { coverSheetId: 'CS1' })]);
    });

    it('refuses an assign without exactly one target, a target without assign, and an unknown action', () => {
      spec
        .given([opened])
        .when(resolveItem({ action: 'assign' }))
        .thenThrows('invalid', 'recordId');
      spec
        .given([opened])
        .when(resolveItem({ action: 'assign', recordId: OTHER_RECORD, version: 2, coverSheetId: 'CS1' }))
        .thenThrows('invalid', 'recordId');
      spec
        .given([opened])
        .when(resolveItem({ action: 'assign', recordId: OTHER_RECORD }))
        .thenThrows('invalid', 'version');
      spec
        .given([opened])
        .when(resolveItem({ action: 'accept', recordId: OTHER_RECORD }))
        .thenThrows('invalid', 'recordId');
      spec
        .given([opened])
        .when(resolveItem({ action: 'discard' }))
        .thenThrows('invalid', 'action');
    });
  });
});
