import type Database from 'better-sqlite3';
import type { EmergencyAccessReviewed, RecordAccessed } from '@medrec/domain';
import type { Projection } from '../projection';
import { statement } from '../statement-cache';

type EmergencyAccessEvent = RecordAccessed | EmergencyAccessReviewed;

/**
 * Break-the-glass reads awaiting an auditor's review (GET /api/audit/emergency-access): one row per
 * `RecordAccessed` declared `emergency` (from the records' access streams), with its justification
 * decrypted (PHI, as the other read models hold it), marked reviewed by `EmergencyAccessReviewed`
 * (from `emergency-access-review-<recordId>`; only its clear fields are used, the note stays sealed
 * in the log). A destroyed record's rows are deleted: the read side forgets it like every other
 * view, while its access stream (who broke the glass, when, for what) stays in the log.
 */
export const emergencyAccessProjection: Projection<EmergencyAccessEvent> = {
  name: 'emergency-access',
  version: 1,
  handles: new Set(['RecordAccessed', 'EmergencyAccessReviewed'] as const),

  migrate(db) {
    db.exec(`CREATE TABLE IF NOT EXISTS emergency_access (
      access_id TEXT PRIMARY KEY, record_id TEXT NOT NULL, position INTEGER NOT NULL, actor TEXT NOT NULL, role TEXT NOT NULL,
      at TEXT NOT NULL, version INTEGER, what TEXT NOT NULL, justification TEXT, reviewed_by TEXT, reviewed_at TEXT)`);
    db.exec('CREATE INDEX IF NOT EXISTS emergency_access_unreviewed ON emergency_access (position) WHERE reviewed_at IS NULL');
    db.exec('CREATE INDEX IF NOT EXISTS emergency_access_record ON emergency_access (record_id)');
  },

  drop(db) {
    db.exec('DROP TABLE IF EXISTS emergency_access');
  },

  apply(db, event) {
    switch (event.type) {
      case 'RecordAccessed': {
        const d = event.data;
        if (d.purpose !== 'emergency') return;
        statement(
          db,
          'INSERT OR IGNORE INTO emergency_access (access_id, record_id, position, actor, role, at, version, what, justification) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
        ).run(
          d.accessId,
          d.recordId,
          event.stored.position,
          d.actor,
          d.role,
          d.at,
          d.version ?? null,
          d.what,
          event.phiReadable ? (d.justification ?? null) : null,
        );
        return;
      }
      case 'EmergencyAccessReviewed':
        statement(db, 'UPDATE emergency_access SET reviewed_by = ?, reviewed_at = ? WHERE access_id = ? AND reviewed_at IS NULL').run(
          event.data.reviewedBy,
          event.data.reviewedAt,
          event.data.accessId,
        );
        return;
    }
  },

  purge(db, recordId) {
    statement(db, 'DELETE FROM emergency_access WHERE record_id = ?').run(recordId);
  },
};

export interface EmergencyAccess {
  accessId: string;
  recordId: string;
  actor: string;
  role: string;
  at: string;
  /** The version read; null for a read of the whole record. */
  version: number | null;
  what: string;
  justification: string | null;
  position: number;
  reviewedBy: string | null;
  reviewedAt: string | null;
}

interface Row {
  access_id: string;
  record_id: string;
  position: number;
  actor: string;
  role: string;
  at: string;
  version: number | null;
  what: string;
  justification: string | null;
  reviewed_by: string | null;
  reviewed_at: string | null;
}

const view = (r: Row): EmergencyAccess => ({
  accessId: r.access_id,
  recordId: r.record_id,
  actor: r.actor,
  role: r.role,
  at: r.at,
  version: r.version,
  what: r.what,
  justification: r.justification,
  position: r.position,
  reviewedBy: r.reviewed_by,
  reviewedAt: r.reviewed_at,
});

/** Emergency reads not yet reviewed, oldest first, at most `limit`. */
export function unreviewedEmergencyAccesses(db: Database.Database, limit: number): EmergencyAccess[] {
  return (statement(db, 'SELECT * FROM emergency_access WHERE reviewed_at IS NULL ORDER BY position LIMIT ?').all(limit) as Row[]).map(view);
}

/** One emergency read by its access id, reviewed or not. */
export function emergencyAccess(db: Database.Database, accessId: string): EmergencyAccess | undefined {
  const row = statement(db, 'SELECT * FROM emergency_access WHERE access_id = ?').get(accessId) as Row | undefined;
  return row ? view(row) : undefined;
}
