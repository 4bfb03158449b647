import Database from '@medrec/sqlite';
import { parentPort, workerData } from 'node:worker_threads';

/**
 * The WAL checkpoint thread (see wal-checkpointer.ts): on each request, copies what the read-model
 * file's WAL holds of committed transactions into the database file (a PASSIVE checkpoint: it
 * waits for nobody, and copies what no reader still needs).
 */
export interface WalCheckpointThreadData {
  filename: string;
}

export type WalCheckpointRequest = { type: 'checkpoint' } | { type: 'close' };

if (parentPort) {
  const port = parentPort;
  const { filename } = workerData as WalCheckpointThreadData;
  const db = new Database(filename, { fileMustExist: true });
  // As the writers' connections (openReadModelDb): the database file is synced after a checkpoint, the WAL before.
  db.pragma('synchronous = NORMAL');
  port.on('message', (request: WalCheckpointRequest) => {
    if (request.type === 'close') {
      db.close();
      port.close();
      return;
    }
    try {
      db.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      // Only sooner copying: the writers' own checkpoints copy what this one did not.
    }
  });
}
