import Database from '@medrec/sqlite';
import type { ReviewItemEvent } from '@medrec/domain';
import type { StoredEvent } from '@medrec/event-store';
import { clearStatementCache } from '../statement-cache';
import { reviewItem, reviewQueue, reviewQueueProjection, unresolvedReviewItemsOfStack } from './review-queue.projection';

const R1 = '00000000-0000-4000-8000-0000000000a1';
const R2 = '00000000-0000-4000-8000-0000000000a2';
const AT = '2024-06-01T09:00:00.000Z';

describe('review-queue projection', () => {
  let db: Database.Database;
  let position = 0;

  beforeEach(() => {
    db = new Database(':memory:');
    reviewQueueProjection.migrate(db);
  });
  afterEach(() => {
    clearStatementCache(db);
    db.close();
  });

  const apply = (event: ReviewItemEvent) => reviewQueueProjection.apply(db, { ...event, stored: { position: ++position } as StoredEvent, phiReadable: true });
  const open = (itemId: string, kind: 'blank-page' | 'low-confidence', subject: object) =>
    apply({ type: 'ReviewItemOpened', data: { itemId, kind, ...subject, measure: { inkRatio: 0.0001 }, openedBy: 'ocr@n1', openedAt: AT } });
  const resolve = (itemId: string, action: 'accept' | 'rescan' | 'assign', extra: object = {}) =>
    apply({ type: 'ReviewItemResolved', data: { itemId, action, ...extra, resolvedBy: 'clerk1', resolvedAt: AT } });

  it('lists open items oldest first, by kind, a page at a time', () => {
    open('i1', 'blank-page', { recordId: R1, version: 1, page: 2 });
    open('i2', 'low-confidence', { recordId: R1, version: 1, page: 3 });
    open('i3', 'blank-page', { recordId: R2, version: 1, page: 1 });
    open('i1', 'blank-page', { recordId: R1, version: 1, page: 2 }); // replayed: still one row
    const first = reviewQueue(db, { limit: 2 });
    expect(first.items.map((i) => i.id)).toEqual(['i1', 'i2']);
    expect(first.more).toBe(true);
    expect(first.items[0]).toMatchObject({
      kind: 'blank-page',
      status: 'open',
      recordId: R1,
      version: 1,
      page: 2,
      measure: { inkRatio: 0.0001 },
      resolution: null,
    });
    const next = reviewQueue(db, { limit: 2, afterPosition: first.items[1].position });
    expect(next).toMatchObject({ items: [{ id: 'i3' }], more: false });
    expect(reviewQueue(db, { limit: 10, kind: 'blank-page' }).items.map((i) => i.id)).toEqual(['i1', 'i3']);
  });

  it('moves resolved and rescan items out of the open list, attributed', () => {
    open('i1', 'blank-page', { recordId: R1, version: 1, page: 2 });
    open('i2', 'low-confidence', { recordId: R1, version: 1, page: 3 });
    resolve('i1', 'rescan');
    resolve('i2', 'assign', { recordId: R2, version: 2 });
    expect(reviewQueue(db, { limit: 10 }).items).toEqual([]);
    expect(reviewQueue(db, { limit: 10, status: 'awaiting-rescan' }).items.map((i) => i.id)).toEqual(['i1']);
    expect(reviewItem(db, 'i2')).toMatchObject({ status: 'resolved', resolution: { action: 'assign', by: 'clerk1', recordId: R2, version: 2 } });
  });

  it('counts a stack’s unresolved items, and forgets a destroyed record’s items', () => {
    open('s1', 'blank-page', { stackId: 'S', pageRange: { first: 4, last: 4 } });
    open('s2', 'blank-page', { stackId: 'S', pageRange: { first: 7, last: 8 } });
    resolve('s1', 'accept');
    expect(unresolvedReviewItemsOfStack(db, 'S')).toBe(1);
    expect(reviewItem(db, 's2')).toMatchObject({ pageRange: { first: 7, last: 8 }, recordId: null });
    open('i1', 'blank-page', { recordId: R1, version: 1, page: 2 });
    reviewQueueProjection.purge!(db, R1);
    expect(reviewItem(db, 'i1')).toBeUndefined();
    expect(reviewItem(db, 's2')).toBeDefined();
  });
});
