import type Database from 'better-sqlite3';
import type { StoredEvent } from '@medrec/event-store';
import { type RecordAccessed, type RecordEvent, unhandled } from '@medrec/domain';
import type { ProjectedEvent, RecordProjection } from '../projection';
import { statement } from '../statement-cache';

/** The kinds of entry of a record's timeline, one per lifecycle event. */
export type TimelineEntryType =
  | 'created'
  | 'amended'
  | 'ocr-completed'
  | 'ocr-failed'
  | 'accessed'
  | 'released'
  | 'hold-placed'
  | 'hold-lifted'
  | 'archived'
  | 'destruction-approved'
  | 'amendment-requested'
  | 'amendment-statement';

/** The record events a timeline shows (a destruction deletes the timeline instead). */
const SHOWN = [
  'RecordCreated',
  'RecordAmended',
  'OcrCompleted',
  'OcrFailed',
  'RecordReleased',
  'LegalHoldPlaced',
  'LegalHoldLifted',
  'RecordArchived',
  'DestructionApproved',
  'AmendmentRequestReceived',
  'AmendmentStatementFiled',
] as const;
type ShownType = (typeof SHOWN)[number];

const TYPE_OF: Record<ShownType | RecordAccessed['type'], TimelineEntryType> = {
  RecordCreated: 'created',
  RecordAmended: 'amended',
  OcrCompleted: 'ocr-completed',
  OcrFailed: 'ocr-failed',
  RecordAccessed: 'accessed',
  RecordReleased: 'released',
  LegalHoldPlaced: 'hold-placed',
  LegalHoldLifted: 'hold-lifted',
  RecordArchived: 'archived',
  DestructionApproved: 'destruction-approved',
  AmendmentRequestReceived: 'amendment-requested',
  AmendmentStatementFiled: 'amendment-statement',
};

/**
 * Every lifecycle event of each record, accesses included, in log order, with who did it in
 * which role and for what purpose: the rows behind GET /records/:id/history and /accesses.
 *
 * Rows hold PHI (amendment reasons, recipients, matters in their summaries) and are deleted when
 * the record is destroyed; the ids of destroyed records are kept (no PHI) so that an access
 * appended concurrently with the destruction is not projected after it. Events whose PHI cannot be
 * read belong to a destroyed record whose rows the replay is about to delete: they are skipped,
 * so a rebuild gives the same rows as live application.
 */
export const recordTimelineProjection: RecordProjection<ShownType> = {
  name: 'record-timeline',
  version: 2,
  readsMetadata: true,
  // Accesses are not copied here: they are read from the record's own access stream (accessTimeline),
  // so that an audited read costs no read-model write.
  handles: new Set(SHOWN),

  migrate(db) {
    db.exec(`CREATE TABLE IF NOT EXISTS record_timeline (
      position INTEGER PRIMARY KEY, record_id TEXT NOT NULL, at TEXT NOT NULL, type TEXT NOT NULL,
      actor TEXT NOT NULL, role TEXT NOT NULL, purpose TEXT, version INTEGER, summary TEXT NOT NULL,
      details TEXT NOT NULL)`);
    // A page of a record's timeline is a position range of one record, in position order.
    db.exec('DROP INDEX IF EXISTS record_timeline_by_record');
    db.exec('CREATE INDEX IF NOT EXISTS record_timeline_by_record_position ON record_timeline (record_id, position)');
    db.exec('CREATE TABLE IF NOT EXISTS record_timeline_destroyed (record_id TEXT PRIMARY KEY)');
  },

  drop(db) {
    db.exec('DROP TABLE IF EXISTS record_timeline; DROP TABLE IF EXISTS record_timeline_destroyed');
  },

  apply(db, event) {
    const { recordId } = event.data;
    if (!event.phiReadable) return;
    if (statement(db, 'SELECT 1 FROM record_timeline_destroyed WHERE record_id = ?').get(recordId)) return;
    const entry = describe(event);
    const meta = event.stored.metadata;
    statement(
      db,
      `INSERT OR REPLACE INTO record_timeline (position, record_id, at, type, actor, role, purpose, version, summary, details)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      event.stored.position,
      recordId,
      entry.at ?? meta.occurredAt,
      TYPE_OF[event.type],
      entry.actor ?? meta.actor,
      entry.role ?? meta.role,
      entry.purpose ?? meta.purpose ?? null,
      entry.version ?? null,
      entry.summary,
      JSON.stringify(entry.details ?? {}),
    );
  },

  purge(db, recordId) {
    statement(db, 'DELETE FROM record_timeline WHERE record_id = ?').run(recordId);
    statement(db, 'INSERT OR IGNORE INTO record_timeline_destroyed (record_id) VALUES (?)').run(recordId);
  },
};

interface Described {
  summary: string;
  at?: string;
  actor?: string;
  role?: string;
  purpose?: string;
  version?: number | null;
  details?: Record<string, unknown>;
}

const list = (versions: number[]): string => (versions.length === 1 ? `version ${versions[0]}` : `versions ${versions.join(', ')}`);

/** The entry's one-line summary and the facts worth a field of their own. */
function describe(event: ProjectedEvent<Extract<RecordEvent, { type: ShownType }>>): Described {
  switch (event.type) {
    case 'RecordCreated': {
      const d = event.data;
      return {
        at: d.createdAt,
        version: 1,
        summary: `Created as ${d.documentType}, version 1 (${pagesOf(d.content?.pages)} ${d.content?.contentType})`,
        details: { documentType: d.documentType, sha256: d.content?.sha256 },
      };
    }
    case 'RecordAmended': {
      const d = event.data;
      const changed = (['documentType', 'title', 'encounterDate'] as const).filter((f) => d[f] !== undefined);
      const what = [d.content ? `new content (${pagesOf(d.content.pages)})` : 'same content', ...(changed.length > 0 ? [`changed ${changed.join(', ')}`] : [])];
      return {
        at: d.amendedAt,
        version: d.version,
        summary: `Version ${d.version} (${d.kind}): ${what.join('; ')}. Reason: ${d.reason}`,
        details: {
          kind: d.kind,
          reason: d.reason,
          newContent: d.content !== undefined,
          changed,
          ...(d.content ? { sha256: d.content.sha256 } : {}),
          ...(d.amendmentRequestId !== undefined ? { amendmentRequestId: d.amendmentRequestId } : {}),
        },
      };
    }
    case 'OcrCompleted': {
      const d = event.data;
      return {
        version: d.version,
        summary: `Text of version ${d.version} recognised: ${pagesOf(d.pages)}, mean confidence ${Math.round(d.meanConfidence * 10) / 10}`,
        details: { pages: d.pages, meanConfidence: d.meanConfidence },
      };
    }
    case 'OcrFailed': {
      const d = event.data;
      return { version: d.version, summary: `Text recognition of version ${d.version} failed: ${d.reason}`, details: { reason: d.reason } };
    }
    case 'RecordReleased': {
      const d = event.data;
      return {
        at: d.releasedAt,
        summary: `Released ${list(d.versions)} to ${d.recipient?.name} for ${d.purpose}`,
        details: {
          releaseId: d.releaseId,
          versions: d.versions,
          recipient: d.recipient,
          purpose: d.purpose,
          description: d.description,
          authorizationReference: d.authorizationReference,
        },
      };
    }
    case 'LegalHoldPlaced': {
      const d = event.data;
      return { at: d.placedAt, summary: `Legal hold placed: ${d.matter}`, details: { holdId: d.holdId, matter: d.matter, reason: d.reason } };
    }
    case 'LegalHoldLifted':
      return { at: event.data.liftedAt, summary: 'Legal hold lifted', details: { holdId: event.data.holdId } };
    case 'RecordArchived':
      return { at: event.data.archivedAt, summary: `Archived: ${event.data.reason}`, details: { reason: event.data.reason } };
    case 'DestructionApproved': {
      const d = event.data;
      return {
        at: d.approvedAt,
        actor: d.approvedBy,
        role: d.approverRole,
        version: d.version,
        summary: `Destruction of version ${d.version} approved under ${d.authority}`,
        details: { approvalId: d.approvalId, authority: d.authority },
      };
    }
    case 'AmendmentRequestReceived': {
      const d = event.data;
      return {
        at: d.registeredAt,
        actor: d.registeredBy,
        summary: `Amendment requested by the patient (received ${d.receivedAt.slice(0, 10)}, due ${d.dueAt.slice(0, 10)}): ${d.requestedChange}`,
        details: { requestId: d.requestId, requestedChange: d.requestedChange, receivedAt: d.receivedAt, dueAt: d.dueAt },
      };
    }
    case 'AmendmentStatementFiled': {
      const d = event.data;
      const what = { denial: 'Amendment request denied', disagreement: "Patient's statement of disagreement filed", rebuttal: 'Rebuttal filed' }[d.kind];
      return {
        at: d.filedAt,
        actor: d.filedBy,
        summary: `${what}: ${d.statement}`,
        details: { requestId: d.requestId, statementId: d.statementId, kind: d.kind, statement: d.statement },
      };
    }
    default:
      return unhandled(event, 'event');
  }
}

const pagesOf = (pages: number | null | undefined): string => (pages == null ? 'pages unknown' : pages === 1 ? '1 page' : `${pages} pages`);

export interface TimelineEntry {
  position: number;
  at: string;
  type: TimelineEntryType;
  actor: string;
  role: string;
  purpose: string | null;
  version: number | null;
  summary: string;
  /** The event's own facts (kind, reason, recipient, holdId, what was read...). */
  details: Record<string, unknown>;
}

/** A stored timeline row: details as JSON text. */
type TimelineRow = Omit<TimelineEntry, 'details'> & { details: string };

/** The record's timeline in log order, up to and including `upTo` (a position); a page of it with `options`. */
export function recordTimeline(
  db: Database.Database,
  recordId: string,
  upTo = Number.MAX_SAFE_INTEGER,
  options: { afterPosition?: number; limit?: number } = {},
): TimelineEntry[] {
  const rows = statement<[string, number, number, number], TimelineRow>(
    db,
    `SELECT position, at, type, actor, role, purpose, version, summary, details FROM record_timeline
     WHERE record_id = ? AND position > ? AND position <= ? ORDER BY position LIMIT ?`,
  ).all(recordId, options.afterPosition ?? 0, upTo, options.limit ?? -1);
  return rows.map((row) => ({ ...row, details: JSON.parse(row.details) as Record<string, unknown> }));
}

export interface AccessEntry {
  position: number;
  at: string;
  actor: string;
  role: string;
  purpose: string;
  version: number | null;
  what: string;
  accessId: string;
}

/** A `RecordAccessed` event of a `record-access-<id>` stream (no PHI) as an access log entry. */
export function accessEntryOf(e: StoredEvent): AccessEntry {
  const d = e.data as RecordAccessed['data'];
  return { position: e.position, at: d.at, actor: d.actor, role: d.role, purpose: d.purpose, version: d.version ?? null, what: d.what, accessId: d.accessId };
}

/** An access as a timeline entry. */
export function timelineEntryOfAccess(a: AccessEntry): TimelineEntry {
  return {
    position: a.position,
    at: a.at,
    type: 'accessed',
    actor: a.actor,
    role: a.role,
    purpose: a.purpose,
    version: a.version,
    summary: `Read (${a.what}${a.version != null ? ` of version ${a.version}` : ''}) for ${a.purpose}`,
    details: { what: a.what, accessId: a.accessId },
  };
}
