import type Database from 'better-sqlite3';
import type { CertificateIssued, DisposalBatchApproved, DisposalBatchExecuted, DisposalBatchProposed } from '@medrec/domain';
import type { Projection } from '../projection';
import { statement } from '../statement-cache';

type DisposalListEvent = DisposalBatchProposed | DisposalBatchApproved | DisposalBatchExecuted | CertificateIssued;

export interface DisposalBatchRow {
  batchId: string;
  status: 'proposed' | 'approved' | 'executed';
  proposedBy: string;
  proposedAt: string;
  certificateId: string | null;
}

/**
 * The list of disposal batches and their certificates (`disposal-<id>` streams), clear fields only:
 * the batch itself (MRNs, matters) is read from its stream.
 */
export const disposalProjection: Projection<DisposalListEvent> = {
  name: 'disposal',
  version: 1,
  handles: new Set(['DisposalBatchProposed', 'DisposalBatchApproved', 'DisposalBatchExecuted', 'CertificateIssued'] as const),

  migrate(db) {
    db.exec(`CREATE TABLE IF NOT EXISTS disposal_batches (
      batch_id TEXT PRIMARY KEY, position INTEGER NOT NULL, status TEXT NOT NULL, proposed_by TEXT NOT NULL, proposed_at TEXT NOT NULL,
      certificate_id TEXT UNIQUE)`);
  },

  drop(db) {
    db.exec('DROP TABLE IF EXISTS disposal_batches');
  },

  apply(db, event) {
    switch (event.type) {
      case 'DisposalBatchProposed':
        statement(db, "INSERT OR IGNORE INTO disposal_batches (batch_id, position, status, proposed_by, proposed_at) VALUES (?, ?, 'proposed', ?, ?)").run(
          event.data.batchId,
          event.stored.position,
          event.data.proposedBy,
          event.data.proposedAt,
        );
        return;
      case 'DisposalBatchApproved':
        statement(db, "UPDATE disposal_batches SET status = 'approved' WHERE batch_id = ?").run(event.data.batchId);
        return;
      case 'DisposalBatchExecuted':
        statement(db, "UPDATE disposal_batches SET status = 'executed' WHERE batch_id = ?").run(event.data.batchId);
        return;
      case 'CertificateIssued':
        statement(db, 'UPDATE disposal_batches SET certificate_id = ? WHERE batch_id = ?').run(event.data.certificateId, event.data.batchId);
        return;
    }
  },
};

export function disposalBatches(db: Database.Database): DisposalBatchRow[] {
  const rows = statement(db, 'SELECT * FROM disposal_batches ORDER BY position DESC').all() as Array<{
    batch_id: string;
    status: DisposalBatchRow['status'];
    proposed_by: string;
    proposed_at: string;
    certificate_id: string | null;
  }>;
  return rows.map((r) => ({ batchId: r.batch_id, status: r.status, proposedBy: r.proposed_by, proposedAt: r.proposed_at, certificateId: r.certificate_id }));
}

export function batchOfCertificate(db: Database.Database, certificateId: string): string | undefined {
  const row = statement(db, 'SELECT batch_id FROM disposal_batches WHERE certificate_id = ?').get(certificateId) as { batch_id: string } | undefined;
  return row?.batch_id;
}
