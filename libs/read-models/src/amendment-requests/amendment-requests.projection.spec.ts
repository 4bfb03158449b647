import Database from '@medrec/sqlite';
import type { AmendmentRequestEvent } from '@medrec/domain';
import type { StoredEvent } from '@medrec/event-store';
import { clearStatementCache } from '../statement-cache';
import { amendmentRequests, amendmentRequestsProjection } from './amendment-requests.projection';

const TODAY = '2024-06-01';
const R1 = '00000000-0000-4000-8000-0000000000a1';
const R2 = '00000000-0000-4000-8000-0000000000a2';

describe('amendment-requests projection', () => {
  let db: Database.Database;
  let position = 0;

  beforeEach(() => {
    db = new Database(':memory:');
    amendmentRequestsProjection.migrate(db);
  });
  afterEach(() => {
    clearStatementCache(db);
    db.close();
  });

  const apply = (event: AmendmentRequestEvent) =>
    amendmentRequestsProjection.apply(db, {
      ...event,
      stored: { position: ++position } as StoredEvent,
      phiReadable: true,
    });
  const register = (requestId: string, recordId: string, receivedAt: string, dueAt: string) =>
    apply({
      type: 'AmendmentRequestRegistered',
      data: { requestId, recordId, requestedChange: 'x', receivedAt, dueAt, registeredBy: 'him1', registeredAt: `${receivedAt}T09:00:00.000Z` },
    });
  const deny = (requestId: string, recordId: string) =>
    apply({ type: 'AmendmentRequestDenied', data: { requestId, recordId, statementId: `${requestId}-denial`, deniedBy: 'him1', deniedAt: TODAY } });

  it('lists overdue requests first, then by due day; an answered request is never overdue', () => {
    register('q-fresh', R1, '2024-05-20', '2024-07-19');
    register('q-late', R1, '2024-03-01', '2024-04-30');
    register('q-later', R2, '2024-03-20', '2024-05-19');
    register('q-denied', R2, '2024-02-01', '2024-04-01');
    register('q-due-today', R2, '2024-04-02', TODAY);
    deny('q-denied', R2);
    const listed = amendmentRequests(db, { today: TODAY });
    expect(listed.map((r) => [r.id, r.status, r.overdue])).toEqual([
      ['q-late', 'received', true],
      ['q-later', 'received', true],
      ['q-denied', 'denied', false],
      ['q-due-today', 'received', false],
      ['q-fresh', 'received', false],
    ]);
    expect(amendmentRequests(db, { today: TODAY, overdue: true }).map((r) => r.id)).toEqual(['q-late', 'q-later']);
    expect(amendmentRequests(db, { today: TODAY, status: 'denied' }).map((r) => r.id)).toEqual(['q-denied']);
    expect(amendmentRequests(db, { today: TODAY, status: 'denied', overdue: true })).toEqual([]);
  });

  it('follows each step; a destroyed record’s requests leave the list', () => {
    register('q1', R1, '2024-03-01', '2024-04-30');
    deny('q1', R1);
    apply({ type: 'DisagreementStatementFiled', data: { requestId: 'q1', recordId: R1, statementId: 'q1-disagreement', filedBy: 'him1', filedAt: TODAY } });
    apply({ type: 'RebuttalStatementFiled', data: { requestId: 'q1', recordId: R1, statementId: 'q1-rebuttal', filedBy: 'him1', filedAt: TODAY } });
    register('q2', R2, '2024-03-01', '2024-04-30');
    apply({ type: 'AmendmentRequestAccepted', data: { requestId: 'q2', recordId: R2, version: 2, acceptedBy: 'him1', acceptedAt: TODAY } });
    expect(amendmentRequests(db, { today: TODAY }).map((r) => [r.id, r.status])).toEqual([
      ['q1', 'rebuttal-filed'],
      ['q2', 'accepted'],
    ]);
    amendmentRequestsProjection.purge!(db, R1);
    expect(amendmentRequests(db, { today: TODAY }).map((r) => r.id)).toEqual(['q2']);
  });
});
