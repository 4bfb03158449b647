import type Database from 'better-sqlite3';
import { type DocumentType, isCalendarDate } from '@medrec/domain';
import type { RecordProjection } from '../projection';
import { statement } from '../statement-cache';

/**
 * What bulk archiving asks of each live record: its document type, the day of its last activity,
 * and whether it is archived. The last activity is the latest of the last encounter (the encounter
 * date, else the day the record was created), and the day of every amendment and release. The
 * encounter date is PHI, so the day goes with the record's purge on destruction.
 */
export const archiveProjection: RecordProjection<'RecordCreated' | 'RecordAmended' | 'RecordReleased' | 'RecordArchived'> = {
  name: 'archive',
  version: 1,
  handles: new Set(['RecordCreated', 'RecordAmended', 'RecordReleased', 'RecordArchived'] as const),

  migrate(db) {
    db.exec(`CREATE TABLE IF NOT EXISTS archive_records (
      record_id TEXT PRIMARY KEY, document_type TEXT NOT NULL, last_activity TEXT NOT NULL, archived INTEGER NOT NULL DEFAULT 0)`);
    db.exec('CREATE INDEX IF NOT EXISTS archive_records_inactive ON archive_records (archived, last_activity)');
  },

  drop(db) {
    db.exec('DROP TABLE IF EXISTS archive_records');
  },

  apply(db, event) {
    switch (event.type) {
      case 'RecordCreated': {
        const d = event.data;
        const created = String(d.createdAt).slice(0, 10);
        const encounter = event.phiReadable && isCalendarDate(d.encounterDate) ? d.encounterDate : null;
        statement(db, 'INSERT OR REPLACE INTO archive_records (record_id, document_type, last_activity, archived) VALUES (?, ?, ?, 0)').run(
          d.recordId,
          d.documentType,
          encounter ?? created,
        );
        return;
      }
      case 'RecordAmended': {
        const d = event.data;
        if (d.documentType) statement(db, 'UPDATE archive_records SET document_type = ? WHERE record_id = ?').run(d.documentType, d.recordId);
        touch(db, d.recordId, String(d.amendedAt).slice(0, 10));
        if (event.phiReadable && isCalendarDate(d.encounterDate)) touch(db, d.recordId, d.encounterDate);
        return;
      }
      case 'RecordReleased':
        touch(db, event.data.recordId, String(event.data.releasedAt).slice(0, 10));
        return;
      case 'RecordArchived':
        statement(db, 'UPDATE archive_records SET archived = 1 WHERE record_id = ?').run(event.data.recordId);
        return;
    }
  },

  purge(db, recordId) {
    statement(db, 'DELETE FROM archive_records WHERE record_id = ?').run(recordId);
  },
};

function touch(db: Database.Database, recordId: string, day: string): void {
  statement(db, 'UPDATE archive_records SET last_activity = ? WHERE record_id = ? AND last_activity < ?').run(day, recordId, day);
}

/**
 * The live records not yet archived whose last activity was before `inactiveSince` (no amendment
 * or release on or after that day, last encounter before it), by id.
 */
export function archiveCandidates(db: Database.Database, inactiveSince: string, documentType?: DocumentType): string[] {
  const rows = (
    documentType
      ? statement(db, 'SELECT record_id FROM archive_records WHERE archived = 0 AND last_activity < ? AND document_type = ? ORDER BY record_id').all(
          inactiveSince,
          documentType,
        )
      : statement(db, 'SELECT record_id FROM archive_records WHERE archived = 0 AND last_activity < ? ORDER BY record_id').all(inactiveSince)
  ) as Array<{ record_id: string }>;
  return rows.map((r) => r.record_id);
}
