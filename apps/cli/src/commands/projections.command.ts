import { Command } from 'commander';
import { join } from 'node:path';
import { ProjectionRunner, ProjectionStatus, readCheckpoints } from '@medrec/read-models';
import { PROJECTIONS, READ_MODELS_FILE, replayThreadFor } from '@medrec/platform/read-models/projections';
import { CliError } from '../cli-error';
import type { CliIo } from '../cli-io';
import { DataStores, withDataStores } from '../data-stores';

function openProjections(stores: DataStores): ProjectionRunner {
  return new ProjectionRunner(stores.events, stores.codec, [...PROJECTIONS], {
    filename: join(stores.config.dataDir, READ_MODELS_FILE),
    batchSize: 2000,
    // The rebuild applies batches in a thread of its own while this one reads and decrypts the next.
    replayThread: replayThreadFor('PROJECTIONS'),
  });
}

export interface RebuildResult {
  projections: string[];
  events: number;
  seconds: number;
}

/**
 * `projections rebuild [name]`: drops the projection's tables (every projection's without a name)
 * and replays the whole log into them. Safe while the server runs: each batch re-reads the
 * checkpoint inside its transaction, so a batch is never applied twice.
 */
export async function rebuildProjections(io: CliIo, name?: string): Promise<RebuildResult> {
  if (name !== undefined && !PROJECTIONS.some((p) => p.name === name)) {
    throw CliError.usage(`No projection named "${name}". Projections: ${PROJECTIONS.map((p) => p.name).join(', ')}`);
  }
  return withDataStores(io.env, async (stores) => {
    const projections = openProjections(stores);
    try {
      const head = await stores.events.headPosition();
      const started = process.hrtime.bigint();
      // Synchronous (the read-model file's checkpoints): nothing left in flight when the stores close.
      const progress = setInterval(() => io.stderr.write(`rebuilding: ${projections.position()}/${head} events\n`), 5000);
      try {
        await projections.rebuild(name);
      } finally {
        clearInterval(progress);
      }
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const names = name === undefined ? PROJECTIONS.map((p) => p.name) : [name];
      io.stdout.write(`Rebuilt ${names.join(', ')}: ${head} events in ${seconds.toFixed(1)} s (${Math.round(head / Math.max(seconds, 1e-3))} events/s)\n`);
      return { projections: names, events: head, seconds };
    } finally {
      projections.close();
    }
  });
}

/**
 * `projections status`: each projection's checkpoint and lag behind the log, read from the
 * read-model file without changing it. A projection whose version differs from this program's
 * will be replayed from 0 by the next server or rebuild: its position counts as 0.
 */
export async function projectionStatus(io: CliIo, options: { json?: boolean } = {}): Promise<ProjectionStatus[]> {
  return withDataStores(io.env, async (stores) => {
    const head = await stores.events.headPosition();
    const checkpoints = readCheckpoints(join(stores.config.dataDir, READ_MODELS_FILE));
    const status = PROJECTIONS.map((p) => {
      const checkpoint = checkpoints.get(p.name);
      const position = checkpoint?.version === p.version ? checkpoint.position : 0;
      return { name: p.name, position, lag: Math.max(0, head - position) };
    });
    if (options.json) io.stdout.write(JSON.stringify(status) + '\n');
    else for (const s of status) io.stdout.write(`${s.name.padEnd(24)} position ${s.position}  lag ${s.lag}\n`);
    return status;
  });
}

export function projectionsCommand(io: CliIo): Command {
  const command = new Command('projections').description('the read models: status and rebuild');
  command
    .command('rebuild [name]')
    .description(`drop a projection (all without a name) and replay the log into it; names: ${PROJECTIONS.map((p) => p.name).join(', ')}`)
    .action(async (name: string | undefined) => {
      await rebuildProjections(io, name);
    });
  command
    .command('status')
    .description('checkpoint and lag of each projection')
    .option('--json', 'print as JSON')
    .action(async (options: { json?: boolean }) => {
      await projectionStatus(io, options);
    });
  return command;
}
