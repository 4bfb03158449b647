import type Database from 'better-sqlite3';
import { normalizeMrn } from '../content-index.projection';
import type { RecordProjection } from '../projection';
import { statement } from '../statement-cache';

/**
 * Every release of a record, by patient: the accounting of disclosures (45 CFR 164.528: date,
 * recipient's name and address, what was disclosed, the purpose). The MRN comes from the
 * record's RecordCreated (a release does not repeat it; an MRN never changes).
 *
 * Every row is PHI and is deleted with its record: once the record's key is destroyed the
 * releases can no longer be read, so a rebuild could not restore them either.
 */
export const disclosuresProjection: RecordProjection<'RecordCreated' | 'RecordAmended' | 'RecordReleased'> = {
  name: 'disclosures',
  // 2: one row per release and record (a release request releases many records under one id).
  version: 2,
  handles: new Set(['RecordCreated', 'RecordAmended', 'RecordReleased'] as const),

  migrate(db) {
    db.exec(`CREATE TABLE IF NOT EXISTS disclosure_patients (record_id TEXT PRIMARY KEY, mrn TEXT NOT NULL, document_type TEXT NOT NULL)`);
    db.exec(`CREATE TABLE IF NOT EXISTS disclosures (
      release_id TEXT NOT NULL, record_id TEXT NOT NULL, mrn TEXT NOT NULL, position INTEGER NOT NULL,
      released_at TEXT NOT NULL, recipient_name TEXT NOT NULL, recipient_address TEXT, description TEXT NOT NULL,
      purpose TEXT NOT NULL, authorization_reference TEXT NOT NULL, versions TEXT NOT NULL, released_by TEXT NOT NULL,
      document_type TEXT NOT NULL, PRIMARY KEY (release_id, record_id))`);
    db.exec('CREATE INDEX IF NOT EXISTS disclosures_by_patient ON disclosures (mrn, released_at)');
    db.exec('CREATE INDEX IF NOT EXISTS disclosures_by_record ON disclosures (record_id)');
  },

  drop(db) {
    db.exec('DROP TABLE IF EXISTS disclosures; DROP TABLE IF EXISTS disclosure_patients');
  },

  apply(db, event) {
    if (event.type === 'RecordAmended') {
      const d = event.data;
      // The document type (not PHI) as it stands at each release.
      if (d.documentType) statement(db, 'UPDATE disclosure_patients SET document_type = ? WHERE record_id = ?').run(d.documentType, d.recordId);
      return;
    }
    if (!event.phiReadable) return;
    if (event.type === 'RecordCreated') {
      const d = event.data;
      statement(db, 'INSERT OR REPLACE INTO disclosure_patients (record_id, mrn, document_type) VALUES (?, ?, ?)').run(
        d.recordId,
        normalizeMrn(d.mrn),
        d.documentType,
      );
      return;
    }
    if (event.type !== 'RecordReleased') return;
    const d = event.data;
    const patient = statement(db, 'SELECT mrn, document_type AS documentType FROM disclosure_patients WHERE record_id = ?').get(d.recordId) as
      { mrn: string; documentType: string } | undefined;
    if (!patient) return;
    statement(
      db,
      `INSERT OR REPLACE INTO disclosures (release_id, record_id, mrn, position, released_at, recipient_name, recipient_address,
         description, purpose, authorization_reference, versions, released_by, document_type)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      d.releaseId,
      d.recordId,
      patient.mrn,
      event.stored.position,
      d.releasedAt,
      d.recipient.name,
      d.recipient.address ?? null,
      d.description,
      d.purpose,
      d.authorizationReference,
      JSON.stringify(d.versions),
      d.releasedBy,
      patient.documentType,
    );
  },

  purge(db, recordId) {
    statement(db, 'DELETE FROM disclosures WHERE record_id = ?').run(recordId);
    statement(db, 'DELETE FROM disclosure_patients WHERE record_id = ?').run(recordId);
  },
};

interface DisclosureRow {
  release_id: string;
  record_id: string;
  released_at: string;
  recipient_name: string;
  recipient_address: string | null;
  description: string;
  purpose: string;
  authorization_reference: string;
  versions: string;
  released_by: string;
  document_type: string;
}

export interface Disclosure {
  /** When the record was released (ISO 8601). */
  date: string;
  recipient: { name: string; address: string | null };
  description: string;
  purpose: string;
  recordId: string;
  versions: number[];
  releaseId: string;
  documentType: string;
  authorizationReference: string;
  releasedBy: string;
}

/** The patient's disclosures released at or after `from` and at or before `to` (ISO 8601 instants), oldest first. */
export function patientDisclosures(db: Database.Database, mrn: string, from: Date, to: Date): Disclosure[] {
  // released_at is an ISO 8601 UTC string (toISOString), so it compares as text in time order.
  const rows = statement(
    db,
    `SELECT release_id, record_id, released_at, recipient_name, recipient_address, description, purpose,
         authorization_reference, versions, released_by, document_type
       FROM disclosures WHERE mrn = ? AND released_at >= ? AND released_at <= ? ORDER BY released_at, position`,
  ).all(normalizeMrn(mrn), from.toISOString(), to.toISOString()) as DisclosureRow[];
  return rows.map((r) => ({
    date: r.released_at,
    recipient: { name: r.recipient_name, address: r.recipient_address },
    description: r.description,
    purpose: r.purpose,
    recordId: r.record_id,
    versions: JSON.parse(r.versions) as number[],
    releaseId: r.release_id,
    documentType: r.document_type,
    authorizationReference: r.authorization_reference,
    releasedBy: r.released_by,
  }));
}
