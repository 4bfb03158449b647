import type Database from 'better-sqlite3';
import { type EmergencySearchReviewed, type PatientDataQueried, queryAuditDay } from '@medrec/domain';
import type { Projection } from '../projection';
import { statement } from '../statement-cache';

type EmergencySearchEvent = PatientDataQueried | EmergencySearchReviewed;

/**
 * Break-the-glass searches awaiting an auditor's review (GET /api/audit/emergency-searches): one row
 * per `PatientDataQueried` declared `emergency` (from the days' `query-audit-<day>` streams), with
 * its text, MRN and justification decrypted (PHI, as the other read models hold it), marked
 * reviewed by `EmergencySearchReviewed` (from `emergency-search-review-<day>`; only its clear fields
 * are used, the note stays sealed in the log). Searches name no record: nothing to purge when one
 * is destroyed (the text searched is the searcher's, not the record's).
 */
export const emergencySearchesProjection: Projection<EmergencySearchEvent> = {
  name: 'emergency-searches',
  version: 1,
  handles: new Set(['PatientDataQueried', 'EmergencySearchReviewed'] as const),

  migrate(db) {
    db.exec(`CREATE TABLE IF NOT EXISTS emergency_search (
      query_id TEXT PRIMARY KEY, position INTEGER NOT NULL, kind TEXT NOT NULL, actor TEXT NOT NULL, role TEXT NOT NULL,
      at TEXT NOT NULL, result_count INTEGER NOT NULL, text TEXT, mrn TEXT, justification TEXT, reviewed_by TEXT, reviewed_at TEXT)`);
    db.exec('CREATE INDEX IF NOT EXISTS emergency_search_unreviewed ON emergency_search (position) WHERE reviewed_at IS NULL');
  },

  drop(db) {
    db.exec('DROP TABLE IF EXISTS emergency_search');
  },

  apply(db, event) {
    switch (event.type) {
      case 'PatientDataQueried': {
        const d = event.data;
        if (d.purpose !== 'emergency') return;
        const readable = event.phiReadable;
        statement(
          db,
          `INSERT OR IGNORE INTO emergency_search (query_id, position, kind, actor, role, at, result_count, text, mrn, justification)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(
          d.queryId,
          event.stored.position,
          d.kind,
          d.actor,
          d.role,
          d.at,
          d.resultCount,
          readable ? (d.text ?? null) : null,
          readable ? (d.mrn ?? null) : null,
          readable ? (d.justification ?? null) : null,
        );
        return;
      }
      case 'EmergencySearchReviewed':
        statement(db, 'UPDATE emergency_search SET reviewed_by = ?, reviewed_at = ? WHERE query_id = ? AND reviewed_at IS NULL').run(
          event.data.reviewedBy,
          event.data.reviewedAt,
          event.data.queryId,
        );
        return;
    }
  },
};

export interface EmergencySearch {
  queryId: string;
  /** The day (UTC) of the search: its query-audit stream's. */
  day: string;
  kind: string;
  actor: string;
  role: string;
  at: string;
  resultCount: number;
  text: string | null;
  mrn: string | null;
  justification: string | null;
  position: number;
  reviewedBy: string | null;
  reviewedAt: string | null;
}

interface Row {
  query_id: string;
  position: number;
  kind: string;
  actor: string;
  role: string;
  at: string;
  result_count: number;
  text: string | null;
  mrn: string | null;
  justification: string | null;
  reviewed_by: string | null;
  reviewed_at: string | null;
}

const view = (r: Row): EmergencySearch => ({
  queryId: r.query_id,
  day: queryAuditDay(r.at),
  kind: r.kind,
  actor: r.actor,
  role: r.role,
  at: r.at,
  resultCount: r.result_count,
  text: r.text,
  mrn: r.mrn,
  justification: r.justification,
  position: r.position,
  reviewedBy: r.reviewed_by,
  reviewedAt: r.reviewed_at,
});

/** Emergency searches not yet reviewed, oldest first, at most `limit`. */
export function unreviewedEmergencySearches(db: Database.Database, limit: number): EmergencySearch[] {
  return (statement(db, 'SELECT * FROM emergency_search WHERE reviewed_at IS NULL ORDER BY position LIMIT ?').all(limit) as Row[]).map(view);
}

/** One emergency search by its query id, reviewed or not. */
export function emergencySearch(db: Database.Database, queryId: string): EmergencySearch | undefined {
  const row = statement(db, 'SELECT * FROM emergency_search WHERE query_id = ?').get(queryId) as Row | undefined;
  return row ? view(row) : undefined;
}
