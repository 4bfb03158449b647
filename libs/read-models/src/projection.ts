import type Database from 'better-sqlite3';
import type { StoredEvent } from '@medrec/event-store';

/** An event as projections see it: the stored event with its PHI decrypted where the key remains. */
export interface ProjectedEvent {
  stored: StoredEvent;
  type: string;
  data: Record<string, unknown>;
  phiReadable: boolean;
}

/**
 * A projection writes rows of its own tables. `apply` runs inside the runner's transaction,
 * together with the projection's new checkpoint: a crash anywhere gives exactly-once effects.
 */
export interface Projection {
  readonly name: string;
  /** Bump to have the runner drop and rebuild the projection's tables from the log. */
  readonly version: number;
  /** Creates the projection's tables (idempotent). */
  migrate(db: Database.Database): void;
  /** Drops the projection's tables (for a rebuild). */
  drop(db: Database.Database): void;
  /** Event types the projection reads; others are skipped without decoding. */
  readonly handles: ReadonlySet<string>;
  /** Synchronous: runs inside the transaction that also stores the checkpoint. */
  apply(db: Database.Database, event: ProjectedEvent): void;
}

export { clearStatementCache, statement } from './statement-cache';
