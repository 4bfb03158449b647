import type Database from 'better-sqlite3';
import type { ReleaseRequestEvent, ReleaseRequestStatus } from '@medrec/domain';
import type { Projection } from '../projection';
import { statement } from '../statement-cache';

/**
 * Release-of-information requests (`release-request-<id>` streams) for GET /api/release-requests:
 * one row per request with its MRN decrypted (PHI, as the other workflow lists hold it; null once
 * the request's key is gone), status, and the days that say whether it is overdue. Also the
 * records each built package holds, so that destroying one of them puts the package on the list of
 * packages to shred (`packagesToShred`, worked by the API's ReleasePackageShredder) until its
 * ReleasePackageShredded.
 */
export const releaseRequestsProjection: Projection<ReleaseRequestEvent> = {
  name: 'release-requests',
  version: 2,
  handles: new Set(['ReleaseRequestReceived', 'ReleasePackageBuilt', 'ReleaseRequestFulfilled', 'ReleaseRequestDenied', 'ReleasePackageShredded'] as const),

  migrate(db) {
    db.exec(`CREATE TABLE IF NOT EXISTS release_requests (
      request_id TEXT PRIMARY KEY, position INTEGER NOT NULL, mrn TEXT, status TEXT NOT NULL, received_at TEXT NOT NULL, due_at TEXT NOT NULL,
      closed_at TEXT)`);
    db.exec('CREATE INDEX IF NOT EXISTS release_requests_due ON release_requests (status, due_at)');
    db.exec(`CREATE TABLE IF NOT EXISTS release_package_records (
      record_id TEXT NOT NULL, request_id TEXT NOT NULL, PRIMARY KEY (record_id, request_id)) WITHOUT ROWID`);
    db.exec(`CREATE TABLE IF NOT EXISTS release_packages_to_shred (
      request_id TEXT NOT NULL, record_id TEXT NOT NULL, PRIMARY KEY (request_id, record_id)) WITHOUT ROWID`);
  },

  drop(db) {
    db.exec('DROP TABLE IF EXISTS release_requests');
    db.exec('DROP TABLE IF EXISTS release_package_records');
    db.exec('DROP TABLE IF EXISTS release_packages_to_shred');
  },

  apply(db, event) {
    switch (event.type) {
      case 'ReleaseRequestReceived': {
        const d = event.data;
        statement(db, 'INSERT OR IGNORE INTO release_requests (request_id, position, mrn, status, received_at, due_at) VALUES (?, ?, ?, ?, ?, ?)').run(
          d.requestId,
          event.stored.position,
          event.phiReadable ? d.mrn : null,
          'open',
          d.receivedAt,
          d.dueAt,
        );
        return;
      }
      case 'ReleaseRequestFulfilled':
        statement(db, "UPDATE release_requests SET status = 'fulfilled', closed_at = ? WHERE request_id = ?").run(event.data.fulfilledAt, event.data.requestId);
        return;
      case 'ReleaseRequestDenied':
        statement(db, "UPDATE release_requests SET status = 'denied', closed_at = ? WHERE request_id = ?").run(event.data.deniedAt, event.data.requestId);
        return;
      case 'ReleasePackageBuilt': {
        const insert = statement(db, 'INSERT OR IGNORE INTO release_package_records (record_id, request_id) VALUES (?, ?)');
        for (const release of event.data.releases) insert.run(release.recordId, event.data.requestId);
        return;
      }
      case 'ReleasePackageShredded':
        statement(db, 'DELETE FROM release_packages_to_shred WHERE request_id = ?').run(event.data.requestId);
        statement(db, 'DELETE FROM release_package_records WHERE request_id = ?').run(event.data.requestId);
        return;
    }
  },

  /** A record destroyed: every package that holds it is to be shredded. */
  purge(db, recordId) {
    statement(
      db,
      'INSERT OR IGNORE INTO release_packages_to_shred (request_id, record_id) SELECT request_id, record_id FROM release_package_records WHERE record_id = ?',
    ).run(recordId);
  },
};

export interface ReleaseRequestRow {
  id: string;
  /** Null once the request's key is gone. */
  mrn: string | null;
  status: ReleaseRequestStatus;
  receivedAt: string;
  dueAt: string;
  overdue: boolean;
}

export interface ReleaseRequestFilter {
  status?: ReleaseRequestStatus;
  /** Only the open requests past their due day. */
  overdue?: boolean;
  /** YYYY-MM-DD: the day overdue is judged on. */
  today: string;
}

/** The requests, open ones past their due day first (the longest overdue first), then by due day. */
export function releaseRequests(db: Database.Database, filter: ReleaseRequestFilter): ReleaseRequestRow[] {
  const rows = statement(
    db,
    `SELECT request_id, mrn, status, received_at, due_at, (status = 'open' AND due_at < @today) AS overdue FROM release_requests
     WHERE (@status IS NULL OR status = @status) AND (@overdue = 0 OR (status = 'open' AND due_at < @today))
     ORDER BY overdue DESC, due_at, request_id`,
  ).all({ today: filter.today, status: filter.status ?? null, overdue: filter.overdue ? 1 : 0 }) as Array<{
    request_id: string;
    mrn: string | null;
    status: ReleaseRequestStatus;
    received_at: string;
    due_at: string;
    overdue: number;
  }>;
  return rows.map((r) => ({ id: r.request_id, mrn: r.mrn, status: r.status, receivedAt: r.received_at, dueAt: r.due_at, overdue: r.overdue === 1 }));
}

/** A built package that holds a destroyed record and is not yet shredded. */
export interface PackageToShred {
  requestId: string;
  recordId: string;
}

/** Packages to shred (any order: each is shredded once, whichever node takes it). */
export function packagesToShred(db: Database.Database, limit: number): PackageToShred[] {
  return (
    statement(db, 'SELECT request_id, record_id FROM release_packages_to_shred ORDER BY request_id, record_id LIMIT ?').all(limit) as Array<{
      request_id: string;
      record_id: string;
    }>
  ).map((r) => ({ requestId: r.request_id, recordId: r.record_id }));
}
