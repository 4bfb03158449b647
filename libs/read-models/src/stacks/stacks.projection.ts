import type Database from 'better-sqlite3';
import type { StackEvent } from '@medrec/domain';
import type { Projection } from '../projection';
import { statement } from '../statement-cache';

/**
 * Stacks waiting to be split, derived from the log (`stack-<id>` streams): a stack is pending from
 * StackReceived until StackSplitCompleted or StackSplitFailed. Nothing else keeps the splitter's
 * work, so a crash or a restart loses none. No PHI: ids and positions.
 */
export const stacksProjection: Projection<StackEvent> = {
  name: 'stacks',
  version: 1,
  handles: new Set(['StackReceived', 'StackSplitCompleted', 'StackSplitFailed'] as const),

  migrate(db) {
    db.exec('CREATE TABLE IF NOT EXISTS stacks (stack_id TEXT PRIMARY KEY, status TEXT NOT NULL, position INTEGER NOT NULL)');
    db.exec('CREATE INDEX IF NOT EXISTS stacks_pending ON stacks (status, position)');
  },

  drop(db) {
    db.exec('DROP TABLE IF EXISTS stacks');
  },

  apply(db, event) {
    if (event.type === 'StackReceived') {
      statement(db, "INSERT OR IGNORE INTO stacks (stack_id, status, position) VALUES (?, 'pending', ?)").run(event.data.stackId, event.stored.position);
    } else if (event.type === 'StackSplitCompleted' || event.type === 'StackSplitFailed') {
      statement(db, 'UPDATE stacks SET status = ? WHERE stack_id = ?').run(event.type === 'StackSplitCompleted' ? 'split' : 'failed', event.data.stackId);
    }
  },
};

/** Stacks not split yet, oldest first. */
export function pendingStacks(db: Database.Database, limit: number): string[] {
  return (statement(db, "SELECT stack_id AS id FROM stacks WHERE status = 'pending' ORDER BY position LIMIT ?").all(limit) as Array<{ id: string }>).map(
    (r) => r.id,
  );
}
