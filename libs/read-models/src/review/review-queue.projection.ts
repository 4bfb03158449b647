import type Database from 'better-sqlite3';
import type { ReviewAction, ReviewItemEvent, ReviewItemKind, ReviewItemStatus, ReviewMeasure } from '@medrec/domain';
import type { Projection } from '../projection';
import { statement } from '../statement-cache';

/**
 * The quality-review queue (`review-item-<id>` streams) for GET /api/review: one row per item,
 * in the order the items were opened (their position in the log). No PHI: kinds, ids, page numbers,
 * measures. A destroyed record's items leave the queue (nothing of it is left to review); the
 * items' streams stay.
 */
export const reviewQueueProjection: Projection<ReviewItemEvent> = {
  name: 'review-queue',
  version: 1,
  handles: new Set(['ReviewItemOpened', 'ReviewItemResolved'] as const),

  migrate(db) {
    db.exec(`CREATE TABLE IF NOT EXISTS review_items (
      item_id TEXT PRIMARY KEY, kind TEXT NOT NULL, status TEXT NOT NULL,
      record_id TEXT, version INTEGER, page INTEGER, stack_id TEXT, first_page INTEGER, last_page INTEGER,
      measure TEXT NOT NULL, opened_at TEXT NOT NULL, position INTEGER NOT NULL,
      resolved_action TEXT, resolved_by TEXT, resolved_at TEXT, assigned_record_id TEXT, assigned_version INTEGER, assigned_cover_sheet_id TEXT)`);
    db.exec('CREATE INDEX IF NOT EXISTS review_items_queue ON review_items (status, position)');
    db.exec('CREATE INDEX IF NOT EXISTS review_items_record ON review_items (record_id)');
    db.exec('CREATE INDEX IF NOT EXISTS review_items_stack ON review_items (stack_id)');
  },

  drop(db) {
    db.exec('DROP TABLE IF EXISTS review_items');
  },

  apply(db, event) {
    switch (event.type) {
      case 'ReviewItemOpened': {
        const d = event.data;
        statement(
          db,
          `INSERT OR IGNORE INTO review_items (item_id, kind, status, record_id, version, page, stack_id, first_page, last_page, measure, opened_at, position)
           VALUES (?, ?, 'open', ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(
          d.itemId,
          d.kind,
          d.recordId ?? null,
          d.version ?? null,
          d.page ?? null,
          d.stackId ?? null,
          d.pageRange?.first ?? null,
          d.pageRange?.last ?? null,
          JSON.stringify(d.measure),
          d.openedAt,
          event.stored.position,
        );
        return;
      }
      case 'ReviewItemResolved': {
        const d = event.data;
        statement(
          db,
          `UPDATE review_items SET status = ?, resolved_action = ?, resolved_by = ?, resolved_at = ?,
             assigned_record_id = ?, assigned_version = ?, assigned_cover_sheet_id = ? WHERE item_id = ?`,
        ).run(
          d.action === 'rescan' ? 'awaiting-rescan' : 'resolved',
          d.action,
          d.resolvedBy,
          d.resolvedAt,
          d.recordId ?? null,
          d.version ?? null,
          d.coverSheetId ?? null,
          d.itemId,
        );
        return;
      }
    }
  },

  purge(db, recordId) {
    statement(db, 'DELETE FROM review_items WHERE record_id = ?').run(recordId);
  },
};

export interface ReviewItemRow {
  id: string;
  kind: ReviewItemKind;
  status: ReviewItemStatus;
  /** A page of a record's version, or (stacks) a run of a stack's pages. */
  recordId: string | null;
  version: number | null;
  page: number | null;
  stackId: string | null;
  pageRange: { first: number; last: number } | null;
  measure: ReviewMeasure;
  openedAt: string;
  /** The last action taken (a rescan, or the final accept/assign), attributed. */
  resolution: { action: ReviewAction; by: string; at: string; recordId?: string; version?: number; coverSheetId?: string } | null;
  /** Log position of the opening: the list's order and its cursor. */
  position: number;
}

export interface ReviewQueueRequest {
  /** Default: open. */
  status?: ReviewItemStatus;
  kind?: ReviewItemKind;
  stackId?: string;
  /** Items opened after this position (the previous page's last). */
  afterPosition?: number;
  limit: number;
}

interface Row {
  item_id: string;
  kind: ReviewItemKind;
  status: ReviewItemStatus;
  record_id: string | null;
  version: number | null;
  page: number | null;
  stack_id: string | null;
  first_page: number | null;
  last_page: number | null;
  measure: string;
  opened_at: string;
  position: number;
  resolved_action: ReviewAction | null;
  resolved_by: string | null;
  resolved_at: string | null;
  assigned_record_id: string | null;
  assigned_version: number | null;
  assigned_cover_sheet_id: string | null;
}

/** One page of the queue, oldest first, and whether more follow. */
export function reviewQueue(db: Database.Database, request: ReviewQueueRequest): { items: ReviewItemRow[]; more: boolean } {
  const where = ['status = ?', 'position > ?'];
  const params: unknown[] = [request.status ?? 'open', request.afterPosition ?? 0];
  if (request.kind !== undefined) {
    where.push('kind = ?');
    params.push(request.kind);
  }
  if (request.stackId !== undefined) {
    where.push('stack_id = ?');
    params.push(request.stackId);
  }
  const rows = statement(db, `SELECT * FROM review_items WHERE ${where.join(' AND ')} ORDER BY position LIMIT ?`).all(...params, request.limit + 1) as Row[];
  return { items: rows.slice(0, request.limit).map(view), more: rows.length > request.limit };
}

/** One item, whatever its status; undefined when unknown (or its record destroyed). */
export function reviewItem(db: Database.Database, itemId: string): ReviewItemRow | undefined {
  const row = statement(db, 'SELECT * FROM review_items WHERE item_id = ?').get(itemId) as Row | undefined;
  return row && view(row);
}

/** How many items of a stack are not resolved yet: its paper may be destroyed at 0 (GET /api/stacks/:id). */
export function unresolvedReviewItemsOfStack(db: Database.Database, stackId: string): number {
  return (statement(db, "SELECT COUNT(*) AS n FROM review_items WHERE stack_id = ? AND status <> 'resolved'").get(stackId) as { n: number }).n;
}

function view(r: Row): ReviewItemRow {
  return {
    id: r.item_id,
    kind: r.kind,
    status: r.status,
    recordId: r.record_id,
    version: r.version,
    page: r.page,
    stackId: r.stack_id,
    pageRange: r.first_page !== null && r.last_page !== null ? { first: r.first_page, last: r.last_page } : null,
    measure: JSON.parse(r.measure) as ReviewMeasure,
    openedAt: r.opened_at,
    resolution:
      r.resolved_action === null
        ? null
        : {
            action: r.resolved_action,
            by: r.resolved_by!,
            at: r.resolved_at!,
            ...(r.assigned_record_id !== null ? { recordId: r.assigned_record_id, version: r.assigned_version! } : {}),
            ...(r.assigned_cover_sheet_id !== null ? { coverSheetId: r.assigned_cover_sheet_id } : {}),
          },
    position: r.position,
  };
}
