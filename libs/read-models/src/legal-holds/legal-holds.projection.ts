import type Database from 'better-sqlite3';
import type { LegalHoldPlaced, MatterHoldEvent, RecordCreated } from '@medrec/domain';
import type { Projection } from '../projection';
import { statement } from '../statement-cache';

type LegalHoldsEvent = MatterHoldEvent | RecordCreated | LegalHoldPlaced;

/**
 * Matter holds (`legal-hold-<id>` streams) for GET /api/legal-holds, and what placing and lifting
 * them needs to know:
 * - `legal_holds`: one row per matter hold; matter, reason and MRN decrypted (PHI, as the search
 *   index holds it; null once the hold's key is gone);
 * - `legal_hold_records`: every record a matter hold was placed on, from the record's own
 *   `LegalHoldPlaced` (so records of the MRN created after the hold appear too);
 * - `legal_hold_patients`: each live record's MRN (which records an MRN hold covers), deleted when
 *   the record is destroyed.
 */
export const legalHoldsProjection: Projection<LegalHoldsEvent> = {
  name: 'legal-holds',
  version: 1,
  handles: new Set(['MatterHoldPlaced', 'MatterHoldLifted', 'RecordCreated', 'LegalHoldPlaced'] as const),

  migrate(db) {
    db.exec(`CREATE TABLE IF NOT EXISTS legal_holds (
      hold_id TEXT PRIMARY KEY, position INTEGER NOT NULL, matter TEXT, reason TEXT, mrn TEXT, placed_by TEXT NOT NULL,
      placed_at TEXT NOT NULL, lifted_by TEXT, lifted_at TEXT)`);
    db.exec('CREATE INDEX IF NOT EXISTS legal_holds_mrn ON legal_holds (mrn) WHERE lifted_at IS NULL AND mrn IS NOT NULL');
    db.exec(`CREATE TABLE IF NOT EXISTS legal_hold_records (hold_id TEXT NOT NULL, record_id TEXT NOT NULL, position INTEGER NOT NULL,
      PRIMARY KEY (hold_id, record_id))`);
    db.exec('CREATE TABLE IF NOT EXISTS legal_hold_patients (record_id TEXT PRIMARY KEY, mrn TEXT NOT NULL)');
    db.exec('CREATE INDEX IF NOT EXISTS legal_hold_patients_mrn ON legal_hold_patients (mrn)');
  },

  drop(db) {
    db.exec('DROP TABLE IF EXISTS legal_holds; DROP TABLE IF EXISTS legal_hold_records; DROP TABLE IF EXISTS legal_hold_patients');
  },

  apply(db, event) {
    switch (event.type) {
      case 'MatterHoldPlaced': {
        const d = event.data;
        const readable = event.phiReadable;
        statement(db, 'INSERT OR IGNORE INTO legal_holds (hold_id, position, matter, reason, mrn, placed_by, placed_at) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
          d.holdId,
          event.stored.position,
          readable ? d.matter : null,
          readable ? d.reason : null,
          readable ? (d.mrn ?? null) : null,
          d.placedBy,
          d.placedAt,
        );
        for (const recordId of d.recordIds) {
          statement(db, 'INSERT OR IGNORE INTO legal_hold_records (hold_id, record_id, position) VALUES (?, ?, ?)').run(
            d.holdId,
            recordId,
            event.stored.position,
          );
        }
        return;
      }
      case 'MatterHoldLifted':
        statement(db, 'UPDATE legal_holds SET lifted_by = ?, lifted_at = ? WHERE hold_id = ?').run(event.data.liftedBy, event.data.liftedAt, event.data.holdId);
        return;
      case 'LegalHoldPlaced': {
        const d = event.data;
        // Record-level holds are not matter holds: only a matter hold's own id is kept.
        statement(db, 'INSERT OR IGNORE INTO legal_hold_records (hold_id, record_id, position) SELECT hold_id, ?, ? FROM legal_holds WHERE hold_id = ?').run(
          d.recordId,
          event.stored.position,
          d.holdId,
        );
        return;
      }
      case 'RecordCreated':
        if (event.phiReadable)
          statement(db, 'INSERT OR REPLACE INTO legal_hold_patients (record_id, mrn) VALUES (?, ?)').run(event.data.recordId, event.data.mrn);
        return;
    }
  },

  /** The record's MRN goes; which holds covered it (ids only) stays. */
  purge(db, recordId) {
    statement(db, 'DELETE FROM legal_hold_patients WHERE record_id = ?').run(recordId);
  },
};

export interface MatterHoldView {
  id: string;
  /** Null once the hold's key is gone. */
  matter: string | null;
  reason: string | null;
  recordIds: string[];
  mrn?: string;
  placedBy: string;
  placedAt: string;
  liftedBy?: string;
  liftedAt?: string;
}

interface HoldRow {
  hold_id: string;
  matter: string | null;
  reason: string | null;
  mrn: string | null;
  placed_by: string;
  placed_at: string;
  lifted_by: string | null;
  lifted_at: string | null;
}

/** Every matter hold, the newest first, with the records it was placed on. */
export function matterHolds(db: Database.Database): MatterHoldView[] {
  const rows = statement(db, 'SELECT * FROM legal_holds ORDER BY position DESC').all() as HoldRow[];
  return rows.map((r) => ({
    id: r.hold_id,
    matter: r.matter,
    reason: r.reason,
    recordIds: heldRecords(db, r.hold_id),
    ...(r.mrn !== null ? { mrn: r.mrn } : {}),
    placedBy: r.placed_by,
    placedAt: r.placed_at,
    ...(r.lifted_by !== null ? { liftedBy: r.lifted_by } : {}),
    ...(r.lifted_at !== null ? { liftedAt: r.lifted_at } : {}),
  }));
}

/** The records a matter hold was placed on, in the order it reached them. */
export function heldRecords(db: Database.Database, holdId: string): string[] {
  return (statement(db, 'SELECT record_id FROM legal_hold_records WHERE hold_id = ? ORDER BY position, record_id').all(holdId) as { record_id: string }[]).map(
    (r) => r.record_id,
  );
}

/** Ids of the matter holds over this patient that still stand. */
export function activePatientHolds(db: Database.Database, mrn: string): string[] {
  return (statement(db, 'SELECT hold_id FROM legal_holds WHERE mrn = ? AND lifted_at IS NULL').all(mrn) as { hold_id: string }[]).map((r) => r.hold_id);
}

/** The records of a patient that are not destroyed. */
export function patientRecords(db: Database.Database, mrn: string): string[] {
  return (statement(db, 'SELECT record_id FROM legal_hold_patients WHERE mrn = ? ORDER BY record_id').all(mrn) as { record_id: string }[]).map(
    (r) => r.record_id,
  );
}
