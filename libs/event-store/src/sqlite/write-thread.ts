import { parentPort, workerData } from 'node:worker_threads';
import Database from '@medrec/sqlite';
import { BatchTransaction } from './batch-transaction';
import { applyPragmas } from './sqlite-schema';
import { WriteOperations } from './write-operations';
import { serializeError, type WriteThreadData, type WriteThreadReply, type WriteThreadRequest } from './write-thread-protocol';

/**
 * The event store's write thread (see write-thread-client.ts): runs the batches of writes on a
 * connection of its own, so that the commit's fsync does not stop the thread that serves requests.
 * Only ever loaded as a thread's entry (write-thread-entry.js).
 */
if (parentPort) {
  const port = parentPort;
  const data = workerData as WriteThreadData;
  const db = new Database(data.filename);
  // The same durability as the store's own connection (WAL, synchronous = FULL): it is set per connection.
  applyPragmas(db, { busyTimeoutMs: data.busyTimeoutMs });
  const operations = new WriteOperations(db);
  const transaction = new BatchTransaction(db);
  port.on('message', (request: WriteThreadRequest) => {
    if (request.type === 'close') {
      db.close();
      port.close();
      return;
    }
    let reply: WriteThreadReply;
    try {
      const outcome = transaction.run(request.operations.map((operation) => () => operations.run(operation).result));
      reply = {
        type: 'done',
        committed: outcome.committed,
        writes: outcome.writes.map((w) => (w.ok ? { ok: true, value: w.value } : { ok: false, error: serializeError(w.error) })),
      };
    } catch (error) {
      reply = { type: 'failed', error: serializeError(error) };
    }
    port.postMessage(reply);
  });
  port.postMessage({
    type: 'ready',
    journalMode: String(db.pragma('journal_mode', { simple: true })),
    synchronous: Number(db.pragma('synchronous', { simple: true })),
  } satisfies WriteThreadReply);
}
