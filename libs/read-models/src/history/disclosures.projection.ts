import type Database from 'better-sqlite3';
import type { DisposalRecordPrepared, RecordEvent } from '@medrec/domain';
import { normalizeMrn } from '../content-index.projection';
import type { Projection } from '../projection';
import { statement } from '../statement-cache';

type DisclosureEvent = Extract<RecordEvent, { type: 'RecordCreated' | 'RecordAmended' | 'RecordReleased' }> | DisposalRecordPrepared;

const INSERT_DISCLOSURE = `INSERT INTO disclosures (release_id, record_id, mrn, position, released_at, recipient_name, recipient_address,
     description, purpose, authorization_reference, versions, released_by, document_type, kept)
   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

/**
 * Every release of a record, by patient: the accounting of disclosures (45 CFR 164.528: date,
 * recipient's name and address, what was disclosed, the purpose). The MRN comes from the
 * record's RecordCreated (a release does not repeat it; an MRN never changes).
 *
 * The accounting outlives the record when a disposal batch destroys it: the batch records the
 * record's releases (DisposalRecordPrepared, sealed with the batch's own key) before the record's
 * key is destroyed, so those rows are marked `kept`, survive the purge and are rebuilt from the
 * batch's stream. A record destroyed on its own takes its releases with it: once its key is gone
 * they can no longer be read, so a rebuild could not restore them either.
 */
export const disclosuresProjection: Projection<DisclosureEvent> = {
  name: 'disclosures',
  // 2: rows kept through a batch's purge; 3: one row per release and record (a release request releases many records under one id).
  version: 3,
  handles: new Set(['RecordCreated', 'RecordAmended', 'RecordReleased', 'DisposalRecordPrepared'] as const),

  migrate(db) {
    db.exec(`CREATE TABLE IF NOT EXISTS disclosure_patients (record_id TEXT PRIMARY KEY, mrn TEXT NOT NULL, document_type TEXT NOT NULL)`);
    db.exec(`CREATE TABLE IF NOT EXISTS disclosures (
      release_id TEXT NOT NULL, record_id TEXT NOT NULL, mrn TEXT NOT NULL, position INTEGER NOT NULL,
      released_at TEXT NOT NULL, recipient_name TEXT NOT NULL, recipient_address TEXT, description TEXT NOT NULL,
      purpose TEXT NOT NULL, authorization_reference TEXT NOT NULL, versions TEXT NOT NULL, released_by TEXT NOT NULL,
      document_type TEXT NOT NULL, kept INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (release_id, record_id))`);
    db.exec('CREATE INDEX IF NOT EXISTS disclosures_by_patient ON disclosures (mrn, released_at)');
    db.exec('CREATE INDEX IF NOT EXISTS disclosures_by_record ON disclosures (record_id)');
  },

  drop(db) {
    db.exec('DROP TABLE IF EXISTS disclosures; DROP TABLE IF EXISTS disclosure_patients');
  },

  apply(db, event) {
    if (event.type === 'DisposalRecordPrepared') {
      if (!event.phiReadable) return;
      const d = event.data;
      // Live, the record's own rows are already here: only marked kept. Rebuilt after the
      // record's key was destroyed, they come from here alone.
      for (const r of d.disclosures ?? []) {
        statement(db, `${INSERT_DISCLOSURE} ON CONFLICT (release_id, record_id) DO UPDATE SET kept = 1`).run(
          r.releaseId,
          d.recordId,
          normalizeMrn(d.mrn),
          event.stored.position,
          r.releasedAt,
          r.recipient.name,
          r.recipient.address ?? null,
          r.description,
          r.purpose,
          r.authorizationReference,
          JSON.stringify(r.versions),
          r.releasedBy,
          r.documentType,
          1,
        );
      }
      return;
    }
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
    statement(db, `${INSERT_DISCLOSURE} ON CONFLICT (release_id, record_id) DO NOTHING`).run(
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
      0,
    );
  },

  purge(db, recordId) {
    statement(db, 'DELETE FROM disclosures WHERE record_id = ? AND kept = 0').run(recordId);
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
