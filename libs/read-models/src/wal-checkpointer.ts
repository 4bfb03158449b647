import type { Worker } from 'node:worker_threads';
import { startReadModelThread } from './replay-thread-client';
import type { WalCheckpointRequest, WalCheckpointThreadData } from './wal-checkpoint-thread';

/**
 * Checkpoints a read-model file's WAL in a thread of its own (wal-checkpoint-thread.ts) while a
 * replay goes on: copying a committed group into the database file and syncing it is mostly
 * waiting for the disk, which then holds up neither the replay thread (its next group) nor this
 * one (reading and decoding the next batch). Requests are not answered: close() resolves once the
 * thread has done every checkpoint asked before it.
 */
export class WalCheckpointer {
  private exited = false;
  private readonly exit: Promise<void>;

  private constructor(private readonly worker: Worker) {
    this.exit = new Promise<void>((resolve) =>
      worker.once('exit', () => {
        this.exited = true;
        resolve();
      }),
    );
    // A failed checkpoint only leaves the copying to the writers' own checkpoints.
    worker.on('error', () => undefined);
  }

  static start(filename: string): WalCheckpointer {
    return new WalCheckpointer(startReadModelThread('wal-checkpoint-thread', { filename } satisfies WalCheckpointThreadData));
  }

  /** Asks for a checkpoint of what is committed now (and not yet copied). */
  checkpoint(): void {
    if (!this.exited) this.worker.postMessage({ type: 'checkpoint' } satisfies WalCheckpointRequest);
  }

  /** Resolves once the checkpoints asked so far are done and the thread has ended. */
  async close(): Promise<void> {
    if (!this.exited) this.worker.postMessage({ type: 'close' } satisfies WalCheckpointRequest);
    await this.exit;
  }
}
