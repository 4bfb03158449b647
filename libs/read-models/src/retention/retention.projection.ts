import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import {
  defaultSchedule,
  DocumentType,
  isCalendarDate,
  RecordEvent,
  RetentionSchedule,
  RetentionScheduleChanged,
  retentionUntil,
  scheduleOf,
  schedulesInForce,
} from '@medrec/domain';
import type { Projection } from '../projection';
import { statement } from '../statement-cache';

type RetentionProjectedEvent =
  Extract<RecordEvent, { type: 'RecordCreated' | 'RecordAmended' | 'LegalHoldPlaced' | 'LegalHoldLifted' }> | RetentionScheduleChanged;

/**
 * What the retention rule needs of each live record (document type, encounter date, creation day,
 * date of birth: the last two of these are PHI and go with the record's purge), its open holds,
 * and the schedules changed so far (from the `retention-schedules` stream, which is not a record
 * stream and carries no PHI). No retention date is stored: the due list is worked out at query
 * time from these facts and the schedules in force, so a schedule change applies at once.
 */
export const retentionProjection: Projection<RetentionProjectedEvent> = {
  name: 'retention',
  version: 1,
  handles: new Set(['RecordCreated', 'RecordAmended', 'LegalHoldPlaced', 'LegalHoldLifted', 'RetentionScheduleChanged'] as const),

  migrate(db) {
    db.exec(`CREATE TABLE IF NOT EXISTS retention_records (
      record_id TEXT PRIMARY KEY, document_type TEXT NOT NULL, created_day TEXT NOT NULL,
      encounter_date TEXT, date_of_birth TEXT)`);
    db.exec('CREATE INDEX IF NOT EXISTS retention_records_type ON retention_records (document_type)');
    db.exec('CREATE TABLE IF NOT EXISTS retention_holds (record_id TEXT NOT NULL, hold_id TEXT NOT NULL, PRIMARY KEY (record_id, hold_id))');
    db.exec(`CREATE TABLE IF NOT EXISTS retention_schedules (
      document_type TEXT PRIMARY KEY, years INTEGER NOT NULL, minors_until_age INTEGER, authority TEXT NOT NULL,
      changed_by TEXT NOT NULL, changed_at TEXT NOT NULL)`);
  },

  drop(db) {
    db.exec('DROP TABLE IF EXISTS retention_records; DROP TABLE IF EXISTS retention_holds; DROP TABLE IF EXISTS retention_schedules');
  },

  apply(db, event) {
    switch (event.type) {
      case 'RecordCreated': {
        const d = event.data;
        statement(
          db,
          'INSERT OR REPLACE INTO retention_records (record_id, document_type, created_day, encounter_date, date_of_birth) VALUES (?, ?, ?, ?, ?)',
        ).run(
          d.recordId,
          d.documentType,
          String(d.createdAt).slice(0, 10),
          event.phiReadable ? dayOrNull(d.encounterDate) : null,
          event.phiReadable ? dayOrNull(d.dateOfBirth) : null,
        );
        return;
      }
      case 'RecordAmended': {
        const d = event.data;
        if (d.documentType) statement(db, 'UPDATE retention_records SET document_type = ? WHERE record_id = ?').run(d.documentType, d.recordId);
        const encounter = event.phiReadable ? dayOrNull(d.encounterDate) : null;
        if (encounter) statement(db, 'UPDATE retention_records SET encounter_date = ? WHERE record_id = ?').run(encounter, d.recordId);
        return;
      }
      case 'LegalHoldPlaced':
        statement(db, 'INSERT OR IGNORE INTO retention_holds (record_id, hold_id) VALUES (?, ?)').run(event.data.recordId, event.data.holdId);
        return;
      case 'LegalHoldLifted':
        statement(db, 'DELETE FROM retention_holds WHERE record_id = ? AND hold_id = ?').run(event.data.recordId, event.data.holdId);
        return;
      case 'RetentionScheduleChanged': {
        const s = scheduleOf(event);
        statement(
          db,
          'INSERT OR REPLACE INTO retention_schedules (document_type, years, minors_until_age, authority, changed_by, changed_at) VALUES (?, ?, ?, ?, ?, ?)',
        ).run(s.documentType, s.years, s.minorsUntilAge ?? null, s.authority, s.changedBy, s.changedAt);
        return;
      }
    }
  },

  purge(db, recordId) {
    statement(db, 'DELETE FROM retention_records WHERE record_id = ?').run(recordId);
    statement(db, 'DELETE FROM retention_holds WHERE record_id = ?').run(recordId);
  },
};

function dayOrNull(value: unknown): string | null {
  return isCalendarDate(value) ? value : null;
}

/** The schedules in force as the projection has them: the changed ones, else the defaults. */
export function retentionSchedulesInForce(db: Database.Database): RetentionSchedule[] {
  const rows = statement(db, 'SELECT * FROM retention_schedules').all() as Array<{
    document_type: DocumentType;
    years: number;
    minors_until_age: number | null;
    authority: string;
    changed_by: string;
    changed_at: string;
  }>;
  const changed = new Map<DocumentType, RetentionSchedule>(
    rows.map((r) => [
      r.document_type,
      {
        documentType: r.document_type,
        years: r.years,
        ...(r.minors_until_age === null ? {} : { minorsUntilAge: r.minors_until_age }),
        authority: r.authority,
        changedBy: r.changed_by,
        changedAt: r.changed_at,
      },
    ]),
  );
  return schedulesInForce({ changed });
}

export interface RetentionDueRequest {
  /** YYYY-MM-DD: records whose retention has ended on or before this day. */
  asOf: string;
  documentType?: DocumentType;
  limit: number;
  /** The nextCursor of the previous page. */
  cursor?: string;
}

export interface RetentionDueEntry {
  id: string;
  documentType: DocumentType;
  retentionUntil: string;
  rule: string;
  /** Some legal hold stands over the record. */
  held: boolean;
}

export interface RetentionDuePage {
  records: RetentionDueEntry[];
  nextCursor: string | null;
}

/** A cursor that is not one this list returned. */
export class RetentionCursorError extends Error {
  constructor() {
    super('The cursor is not one this list returned');
    this.name = 'RetentionCursorError';
  }
}

/**
 * The records due as of a day, ordered by retention date then id, a page at a time. Computed
 * from the facts and the schedules in force now. The cursor (the last entry's date and id) is
 * encrypted, because a minor's retention date is a birthday: no PHI in URLs.
 */
export class RetentionDueList {
  constructor(
    private readonly db: Database.Database,
    private readonly cursorKey: Buffer = randomBytes(32),
  ) {}

  due(request: RetentionDueRequest): RetentionDuePage {
    const after = request.cursor === undefined ? undefined : this.openCursor(request.cursor);
    const schedules = new Map(retentionSchedulesInForce(this.db).map((s) => [s.documentType, s]));
    const rows = (
      request.documentType
        ? statement(this.db, 'SELECT * FROM retention_records WHERE document_type = ?').all(request.documentType)
        : statement(this.db, 'SELECT * FROM retention_records').all()
    ) as Array<{ record_id: string; document_type: DocumentType; created_day: string; encounter_date: string | null; date_of_birth: string | null }>;
    const due: Array<Omit<RetentionDueEntry, 'held'>> = [];
    for (const r of rows) {
      const schedule = schedules.get(r.document_type) ?? defaultSchedule(r.document_type);
      const { retentionUntil: until, rule } = retentionUntil(
        { documentType: r.document_type, encounterDate: r.encounter_date, createdDay: r.created_day, dateOfBirth: r.date_of_birth },
        schedule,
      );
      if (until > request.asOf) continue;
      if (after && (until < after.until || (until === after.until && r.record_id <= after.id))) continue;
      due.push({ id: r.record_id, documentType: r.document_type, retentionUntil: until, rule });
    }
    due.sort((a, b) => (a.retentionUntil < b.retentionUntil ? -1 : a.retentionUntil > b.retentionUntil ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const page = due.slice(0, request.limit);
    const held = statement(this.db, 'SELECT 1 FROM retention_holds WHERE record_id = ? LIMIT 1');
    const records = page.map((e) => ({ ...e, held: held.get(e.id) !== undefined }));
    const last = page[page.length - 1];
    return { records, nextCursor: due.length > page.length && last ? this.sealCursor(last.retentionUntil, last.id) : null };
  }

  private sealCursor(until: string, id: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.cursorKey, iv);
    const body = Buffer.concat([cipher.update(`${until}|${id}`, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
  }

  private openCursor(cursor: string): { until: string; id: string } {
    if (!/^[A-Za-z0-9_-]{40,200}$/.test(cursor)) throw new RetentionCursorError();
    const raw = Buffer.from(cursor, 'base64url');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.cursorKey, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(12, 28));
      const text = Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
      const [until, id] = text.split('|');
      if (!isCalendarDate(until) || !id) throw new RetentionCursorError();
      return { until, id };
    } catch {
      throw new RetentionCursorError();
    }
  }
}
