import type Database from 'better-sqlite3';
import { statement, type RecordProjection } from '@medrec/read-models/projection';
import type { ProjectionRunner } from '@medrec/read-models/projection-runner';

export interface PendingOcrJob {
  recordId: string;
  version: number;
  blobKey: string;
  sha256: string;
  contentType: string;
  /** Log position of the event that made the job (the upload's or the amendment's). */
  position: number;
}

/**
 * Pending OCR, derived from the log: a version with new content is pending until its
 * OcrCompleted or OcrFailed; a destroyed record's jobs are dropped. Nothing else keeps job state,
 * so a crash or restart loses no job.
 */
export const ocrJobsProjection: RecordProjection<'RecordCreated' | 'RecordAmended' | 'OcrCompleted' | 'OcrFailed'> = {
  name: 'ocr-jobs',
  version: 1,
  handles: new Set(['RecordCreated', 'RecordAmended', 'OcrCompleted', 'OcrFailed'] as const),

  migrate(db) {
    db.exec(`CREATE TABLE IF NOT EXISTS ocr_jobs (
      record_id TEXT NOT NULL,
      version INTEGER NOT NULL,
      blob_key TEXT NOT NULL,
      sha256 TEXT NOT NULL,
      content_type TEXT NOT NULL,
      status TEXT NOT NULL,
      position INTEGER NOT NULL,
      PRIMARY KEY (record_id, version))`);
    db.exec('CREATE INDEX IF NOT EXISTS ocr_jobs_pending ON ocr_jobs (status, position)');
  },

  drop(db) {
    db.exec('DROP TABLE IF EXISTS ocr_jobs');
  },

  apply(db, event) {
    switch (event.type) {
      case 'RecordCreated':
      case 'RecordAmended': {
        const d = event.data;
        if (!d.content) return;
        statement(
          db,
          `INSERT OR IGNORE INTO ocr_jobs (record_id, version, blob_key, sha256, content_type, status, position)
           VALUES (?, ?, ?, ?, ?, 'pending', ?)`,
        ).run(d.recordId, d.version, d.content.blobKey, d.content.sha256, d.content.contentType, event.stored.position);
        return;
      }
      case 'OcrCompleted':
      case 'OcrFailed':
        statement(db, 'UPDATE ocr_jobs SET status = ? WHERE record_id = ? AND version = ?').run(
          event.type === 'OcrCompleted' ? 'done' : 'failed',
          event.data.recordId,
          event.data.version,
        );
        return;
    }
  },

  purge(db, recordId) {
    statement(db, 'DELETE FROM ocr_jobs WHERE record_id = ?').run(recordId);
  },
};

export function pendingOcrJobs(db: Database.Database, limit: number): PendingOcrJob[] {
  return statement(
    db,
    `SELECT record_id AS recordId, version, blob_key AS blobKey, sha256, content_type AS contentType, position
       FROM ocr_jobs WHERE status = 'pending' ORDER BY position LIMIT ?`,
  ).all(limit) as PendingOcrJob[];
}

/** How many OCR jobs are pending (the OCR queue's depth). */
export function countPendingOcrJobs(db: Database.Database): number {
  return (statement(db, "SELECT COUNT(*) AS n FROM ocr_jobs WHERE status = 'pending'").get() as { n: number }).n;
}

/** What the OCR job runner reads of the read models: the pending jobs, and a wait until they show a position. */
export interface PendingOcrJobsView {
  pending(limit: number): PendingOcrJob[];
  /** Waits until the projections have applied the log up to `position`; false after `timeoutMs`. */
  reach(position: number, timeoutMs: number): Promise<boolean>;
}

/** The pending-jobs view of a projection runner that keeps the ocr-jobs projection. */
export function pendingOcrJobsView(projections: ProjectionRunner): PendingOcrJobsView {
  return { pending: (limit) => pendingOcrJobs(projections.db, limit), reach: (position, timeoutMs) => projections.waitFor(position, timeoutMs) };
}
