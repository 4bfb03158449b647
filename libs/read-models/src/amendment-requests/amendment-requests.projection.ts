import type Database from 'better-sqlite3';
import type { AmendmentRequestEvent, AmendmentRequestStatus } from '@medrec/domain';
import type { Projection } from '../projection';
import { statement } from '../statement-cache';

/**
 * Patients' amendment requests (`amendment-request-<id>` streams) for GET /api/amendment-requests:
 * one row per request with its record, status and dates. No PHI: the requested change stays sealed
 * on the streams. A destroyed record's requests leave the list (they can no longer be answered);
 * each request's own stream still answers GET /api/amendment-requests/:id.
 */
export const amendmentRequestsProjection: Projection<AmendmentRequestEvent> = {
  name: 'amendment-requests',
  version: 1,
  handles: new Set([
    'AmendmentRequestRegistered',
    'AmendmentRequestAccepted',
    'AmendmentRequestDenied',
    'DisagreementStatementFiled',
    'RebuttalStatementFiled',
  ] as const),

  migrate(db) {
    db.exec(`CREATE TABLE IF NOT EXISTS amendment_requests (
      request_id TEXT PRIMARY KEY, record_id TEXT NOT NULL, status TEXT NOT NULL, received_at TEXT NOT NULL, due_at TEXT NOT NULL,
      position INTEGER NOT NULL)`);
    db.exec('CREATE INDEX IF NOT EXISTS amendment_requests_record ON amendment_requests (record_id)');
    db.exec('CREATE INDEX IF NOT EXISTS amendment_requests_due ON amendment_requests (status, due_at)');
  },

  drop(db) {
    db.exec('DROP TABLE IF EXISTS amendment_requests');
  },

  apply(db, event) {
    const setStatus = (status: AmendmentRequestStatus) =>
      statement(db, 'UPDATE amendment_requests SET status = ? WHERE request_id = ?').run(status, event.data.requestId);
    switch (event.type) {
      case 'AmendmentRequestRegistered': {
        const d = event.data;
        statement(db, 'INSERT OR IGNORE INTO amendment_requests (request_id, record_id, status, received_at, due_at, position) VALUES (?, ?, ?, ?, ?, ?)').run(
          d.requestId,
          d.recordId,
          'received',
          d.receivedAt,
          d.dueAt,
          event.stored.position,
        );
        return;
      }
      case 'AmendmentRequestAccepted':
        setStatus('accepted');
        return;
      case 'AmendmentRequestDenied':
        setStatus('denied');
        return;
      case 'DisagreementStatementFiled':
        setStatus('disagreement-filed');
        return;
      case 'RebuttalStatementFiled':
        setStatus('rebuttal-filed');
        return;
    }
  },

  purge(db, recordId) {
    statement(db, 'DELETE FROM amendment_requests WHERE record_id = ?').run(recordId);
  },
};

export interface AmendmentRequestRow {
  id: string;
  recordId: string;
  status: AmendmentRequestStatus;
  receivedAt: string;
  dueAt: string;
  /** Still unanswered (received) after its due day. */
  overdue: boolean;
}

export interface AmendmentRequestFilter {
  /** Today (YYYY-MM-DD, UTC): a request still open after its due day is overdue. */
  today: string;
  overdue?: boolean;
  status?: AmendmentRequestStatus;
}

interface Row {
  request_id: string;
  record_id: string;
  status: AmendmentRequestStatus;
  received_at: string;
  due_at: string;
  overdue: number;
}

/** The requests, overdue ones first, then by due day (the earliest first). */
export function amendmentRequests(db: Database.Database, filter: AmendmentRequestFilter): AmendmentRequestRow[] {
  const where: string[] = [];
  const params: unknown[] = [filter.today];
  if (filter.status !== undefined) {
    where.push('status = ?');
    params.push(filter.status);
  }
  if (filter.overdue) {
    where.push("status = 'received' AND due_at < ?");
    params.push(filter.today);
  }
  const rows = statement(
    db,
    `SELECT request_id, record_id, status, received_at, due_at, (status = 'received' AND due_at < ?) AS overdue FROM amendment_requests
     ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY overdue DESC, due_at, received_at, request_id`,
  ).all(...params) as Row[];
  return rows.map((r) => ({
    id: r.request_id,
    recordId: r.record_id,
    status: r.status,
    receivedAt: r.received_at,
    dueAt: r.due_at,
    overdue: r.overdue === 1,
  }));
}
