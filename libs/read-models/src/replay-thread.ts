import { parentPort, workerData } from 'node:worker_threads';
import { type ProjectedEvent, type Projection } from './projection';
import { BatchApplier, openReadModelDb } from './read-model-db';

/**
 * The replay thread (see replay-thread-client.ts): applies the decoded batches the runner posts,
 * on its own connection to the read-model file, while the runner reads and decodes the next.
 */
export interface ReplayThreadData {
  filename: string;
  /** A module exporting the projections (one, or an array) under `projectionsExport`. */
  projectionsModule: string;
  projectionsExport: string;
  names: string[];
  cacheKiB: number;
}

export type ReplayRequest = { type: 'batch'; events: ProjectedEvent[]; last: number } | { type: 'close' };
export type ReplayReply = { type: 'ready' } | { type: 'applied'; last: number } | { type: 'failed'; message: string; name: string };

function projectionsOf(data: ReplayThreadData): Projection[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const module = require(data.projectionsModule) as Record<string, Projection | readonly Projection[] | undefined>;
  const exported = module[data.projectionsExport];
  if (!exported) throw new Error(`${data.projectionsModule} exports no ${data.projectionsExport}`);
  const available: readonly Projection[] = Array.isArray(exported) ? exported : [exported as Projection];
  return data.names.map((name) => {
    const projection = available.find((p) => p.name === name);
    if (!projection) throw new Error(`${data.projectionsModule} has no projection named ${name}`);
    return projection;
  });
}

if (parentPort) {
  const port = parentPort;
  const data = workerData as ReplayThreadData;
  const db = openReadModelDb(data.filename);
  db.pragma(`cache_size = ${-data.cacheKiB}`);
  const applier = new BatchApplier(db, projectionsOf(data));
  port.on('message', (request: ReplayRequest) => {
    if (request.type === 'close') {
      db.close();
      port.close();
      return;
    }
    try {
      applier.apply(request.events, request.last);
      port.postMessage({ type: 'applied', last: request.last } satisfies ReplayReply);
    } catch (error) {
      port.postMessage({ type: 'failed', message: (error as Error).message, name: (error as Error).name } satisfies ReplayReply);
    }
  });
  port.postMessage({ type: 'ready' } satisfies ReplayReply);
}
