import type Database from 'better-sqlite3';
import type { RecordProjection } from '../projection';
import { statement } from '../statement-cache';

/**
 * Counts for GET /api/stats, from facts that are not PHI: record ids, document types, statuses,
 * creation days, page counts and OCR results of each upload. These survive the destruction of a
 * record (its status becomes 'destroyed'). The one PHI-derived fact, the month of the encounter,
 * is deleted with the record (after destruction it could not be read again on a rebuild).
 */
export const recordStatsProjection: RecordProjection<'RecordCreated' | 'RecordAmended' | 'OcrCompleted' | 'OcrFailed' | 'RecordArchived'> = {
  name: 'record-stats',
  version: 1,
  handles: new Set(['RecordCreated', 'RecordAmended', 'OcrCompleted', 'OcrFailed', 'RecordArchived'] as const),

  migrate(db) {
    db.exec(`CREATE TABLE IF NOT EXISTS stats_records (
      record_id TEXT PRIMARY KEY, document_type TEXT NOT NULL, status TEXT NOT NULL, created_day TEXT NOT NULL)`);
    db.exec(`CREATE TABLE IF NOT EXISTS stats_uploads (
      record_id TEXT NOT NULL, version INTEGER NOT NULL, day TEXT NOT NULL, pages INTEGER,
      ocr_status TEXT NOT NULL, mean_confidence REAL, PRIMARY KEY (record_id, version))`);
    db.exec(`CREATE TABLE IF NOT EXISTS stats_encounters (record_id TEXT PRIMARY KEY, month TEXT NOT NULL)`);
  },

  drop(db) {
    db.exec('DROP TABLE IF EXISTS stats_records; DROP TABLE IF EXISTS stats_uploads; DROP TABLE IF EXISTS stats_encounters');
  },

  apply(db, event) {
    switch (event.type) {
      case 'RecordCreated': {
        const d = event.data;
        statement(db, "INSERT OR REPLACE INTO stats_records (record_id, document_type, status, created_day) VALUES (?, ?, 'active', ?)").run(
          d.recordId,
          d.documentType,
          String(d.createdAt).slice(0, 10),
        );
        upload(db, d.recordId, 1, d.createdAt, d.content?.pages);
        if (event.phiReadable) encounter(db, d.recordId, d.encounterDate);
        return;
      }
      case 'RecordAmended': {
        const d = event.data;
        if (d.documentType) statement(db, 'UPDATE stats_records SET document_type = ? WHERE record_id = ?').run(d.documentType, d.recordId);
        if (d.content) upload(db, d.recordId, d.version, d.amendedAt, d.content.pages);
        if (event.phiReadable) encounter(db, d.recordId, d.encounterDate);
        return;
      }
      case 'OcrCompleted':
      case 'OcrFailed': {
        const d = event.data;
        // The OCR'd content is that of the newest upload at or before the version (an amendment without a file shares it).
        const target = statement(db, 'SELECT version FROM stats_uploads WHERE record_id = ? AND version <= ? ORDER BY version DESC LIMIT 1').get(
          d.recordId,
          d.version,
        ) as { version: number } | undefined;
        if (!target) return;
        statement(db, 'UPDATE stats_uploads SET ocr_status = ?, mean_confidence = ? WHERE record_id = ? AND version = ?').run(
          event.type === 'OcrCompleted' ? 'done' : 'failed',
          event.type === 'OcrCompleted' ? event.data.meanConfidence : null,
          d.recordId,
          target.version,
        );
        return;
      }
      case 'RecordArchived':
        statement(db, "UPDATE stats_records SET status = 'archived' WHERE record_id = ?").run(event.data.recordId);
        return;
    }
  },

  /** The counts keep the record (as destroyed); the month of its encounter, derived from PHI, goes. */
  purge(db, recordId) {
    statement(db, "UPDATE stats_records SET status = 'destroyed' WHERE record_id = ?").run(recordId);
    statement(db, 'DELETE FROM stats_encounters WHERE record_id = ?').run(recordId);
  },
};

function upload(db: Database.Database, recordId: string, version: number, at: string, pages: number | null | undefined): void {
  statement(db, "INSERT OR REPLACE INTO stats_uploads (record_id, version, day, pages, ocr_status, mean_confidence) VALUES (?, ?, ?, ?, 'pending', NULL)").run(
    recordId,
    version,
    String(at).slice(0, 10),
    pages ?? null,
  );
}

function encounter(db: Database.Database, recordId: string, encounterDate: unknown): void {
  if (typeof encounterDate !== 'string' || !/^\d{4}-\d{2}/.test(encounterDate)) return;
  statement(db, 'INSERT OR REPLACE INTO stats_encounters (record_id, month) VALUES (?, ?)').run(recordId, encounterDate.slice(0, 7));
}

export interface RecordStats {
  records: {
    /** Records held (active and archived). */
    total: number;
    byStatus: { active: number; archived: number; destroyed: number };
    /** Records held, by their current document type. */
    byType: Record<string, number>;
  };
  pages: {
    /** Pages of every stored upload of the records held (every version with its own file). */
    stored: number;
    /** Pages of the current version of each record held. */
    current: number;
  };
  /** Files received per day (UTC), destroyed records' included: the work done, not what is held. */
  uploadsPerDay: Array<{ day: string; uploads: number; pages: number }>;
  ocr: {
    /** Uploads of records held whose text is not yet recognised: the OCR backlog. */
    pending: number;
    done: number;
    failed: number;
    /** Mean of the uploads' mean confidence (0-100) over the recognised uploads of records held; null when none. */
    meanConfidence: number | null;
  };
  /** Records held, by the month (YYYY-MM) of their encounter; records without an encounter date are not counted. */
  encountersPerMonth: Array<{ month: string; records: number }>;
}

/** The counts; `from`/`to` (YYYY-MM-DD, inclusive) bound the days of uploadsPerDay. */
export function recordStats(db: Database.Database, window: { from?: string; to?: string } = {}): RecordStats {
  const held = "status <> 'destroyed'";
  const byStatus = { active: 0, archived: 0, destroyed: 0 };
  for (const row of statement(db, 'SELECT status, COUNT(*) AS n FROM stats_records GROUP BY status').all() as Array<{
    status: keyof typeof byStatus;
    n: number;
  }>) {
    byStatus[row.status] = row.n;
  }
  const byType: Record<string, number> = {};
  for (const row of statement(
    db,
    `SELECT document_type AS type, COUNT(*) AS n FROM stats_records WHERE ${held} GROUP BY document_type ORDER BY document_type`,
  ).all() as Array<{ type: string; n: number }>) {
    byType[row.type] = row.n;
  }
  const heldUploads = `FROM stats_uploads u JOIN stats_records r ON r.record_id = u.record_id AND r.${held}`;
  const pages = statement(
    db,
    `SELECT COALESCE(SUM(u.pages), 0) AS stored,
         COALESCE(SUM(CASE WHEN u.version = (SELECT MAX(version) FROM stats_uploads x WHERE x.record_id = u.record_id) THEN u.pages END), 0) AS current
       ${heldUploads}`,
  ).get() as { stored: number; current: number };
  const ocr = { pending: 0, done: 0, failed: 0 };
  for (const row of statement(db, `SELECT u.ocr_status AS status, COUNT(*) AS n ${heldUploads} GROUP BY u.ocr_status`).all() as Array<{
    status: keyof typeof ocr;
    n: number;
  }>) {
    ocr[row.status] = row.n;
  }
  const confidence = statement(db, `SELECT AVG(u.mean_confidence) AS mean ${heldUploads} WHERE u.ocr_status = 'done'`).get() as { mean: number | null };
  const uploadsPerDay = statement(
    db,
    `SELECT day, COUNT(*) AS uploads, COALESCE(SUM(pages), 0) AS pages FROM stats_uploads
       WHERE day >= ? AND day <= ? GROUP BY day ORDER BY day`,
  ).all(window.from ?? '0000-00-00', window.to ?? '9999-99-99') as RecordStats['uploadsPerDay'];
  const encountersPerMonth = statement(
    db,
    `SELECT e.month AS month, COUNT(*) AS records FROM stats_encounters e
       JOIN stats_records r ON r.record_id = e.record_id AND r.${held} GROUP BY e.month ORDER BY e.month`,
  ).all() as RecordStats['encountersPerMonth'];
  return {
    records: { total: byStatus.active + byStatus.archived, byStatus, byType },
    pages,
    uploadsPerDay,
    ocr: { ...ocr, meanConfidence: confidence.mean === null ? null : Math.round(confidence.mean * 100) / 100 },
    encountersPerMonth,
  };
}
