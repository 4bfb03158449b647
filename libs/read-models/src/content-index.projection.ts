import type Database from 'better-sqlite3';
import type { RecordProjection } from './projection';
import { statement } from './statement-cache';

/**
 * Which stored contents (SHA-256) each patient's records hold, to recognise an identical upload
 * for the same patient. Read models hold decrypted identifiers (like search will); a destroyed
 * record's rows are deleted.
 */
export const contentIndexProjection: RecordProjection<'RecordCreated' | 'RecordAmended'> = {
  name: 'content-index',
  version: 1,
  handles: new Set(['RecordCreated', 'RecordAmended'] as const),

  migrate(db) {
    db.exec(`CREATE TABLE IF NOT EXISTS content_index (
      mrn TEXT NOT NULL, sha256 TEXT NOT NULL, record_id TEXT NOT NULL, version INTEGER NOT NULL,
      PRIMARY KEY (mrn, sha256, record_id, version))`);
    db.exec(`CREATE TABLE IF NOT EXISTS content_index_records (record_id TEXT PRIMARY KEY, mrn TEXT NOT NULL)`);
    // purge() deletes a destroyed record's rows by record id: without it, a scan of every row.
    db.exec('CREATE INDEX IF NOT EXISTS content_index_by_record ON content_index (record_id)');
  },

  drop(db) {
    db.exec('DROP TABLE IF EXISTS content_index; DROP TABLE IF EXISTS content_index_records');
  },

  apply(db, event) {
    const d = event.data;
    if (event.type === 'RecordCreated') {
      if (!event.phiReadable) return;
      statement(db, 'INSERT OR REPLACE INTO content_index_records (record_id, mrn) VALUES (?, ?)').run(d.recordId, normalizeMrn(event.data.mrn));
    }
    const content = d.content;
    if (!content) return;
    const owner = statement(db, 'SELECT mrn FROM content_index_records WHERE record_id = ?').get(d.recordId) as { mrn: string } | undefined;
    if (!owner) return;
    statement(db, 'INSERT OR IGNORE INTO content_index (mrn, sha256, record_id, version) VALUES (?, ?, ?, ?)').run(
      owner.mrn,
      content.sha256,
      d.recordId,
      d.version,
    );
  },

  purge(db, recordId) {
    statement(db, 'DELETE FROM content_index WHERE record_id = ?').run(recordId);
    statement(db, 'DELETE FROM content_index_records WHERE record_id = ?').run(recordId);
  },
};

export const normalizeMrn = (mrn: string): string => mrn.trim().toUpperCase();

/** A record of this patient that already holds this exact content, if any. */
export function findDuplicate(db: Database.Database, mrn: string, sha256: string): { recordId: string; version: number } | undefined {
  return statement(db, 'SELECT record_id AS recordId, version FROM content_index WHERE mrn = ? AND sha256 = ? ORDER BY record_id, version LIMIT 1').get(
    normalizeMrn(mrn),
    sha256,
  ) as { recordId: string; version: number } | undefined;
}
