import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandContext, EventSourcedRunner, PhiCodec } from '@medrec/application';
import { SqliteKeyStore } from '@medrec/crypto';
import { RECORD_PHI_FIELDS, RecordCommand, recordDecider, recordStream } from '@medrec/domain';
import { SqliteEventStore } from '@medrec/event-store';
import type { Projection } from '../projection';
import { ProjectionRunner } from '../projection-runner';

/** What projection specs share: an in-memory log, a key store in a temporary directory, the runner and the read models. */
export interface ProjectionTestbed {
  keys: SqliteKeyStore;
  store: SqliteEventStore;
  codec: PhiCodec;
  runner: EventSourcedRunner;
  projections: ProjectionRunner;
  /** A record command through the record decider, as the app runs it. */
  run(command: RecordCommand): ReturnType<EventSourcedRunner['run']>;
  close(): Promise<void>;
}

/** Opens the testbed with a data key for each of `recordIds`; PHI fields default to the record's. */
export async function projectionTestbed(
  projections: readonly Projection[],
  recordIds: readonly string[],
  phiFields: ConstructorParameters<typeof PhiCodec>[1] = RECORD_PHI_FIELDS,
): Promise<ProjectionTestbed> {
  const dir = mkdtempSync(join(tmpdir(), 'medrec-projection-spec-'));
  const keys = new SqliteKeyStore({ file: join(dir, 'keys.db'), masterKey: randomBytes(32) });
  const store = new SqliteEventStore({ filename: ':memory:' });
  const codec = new PhiCodec(keys, phiFields);
  const runner = new EventSourcedRunner(store, codec);
  const runnerOfProjections = new ProjectionRunner(store, codec, [...projections], { filename: ':memory:' });
  for (const id of recordIds) await keys.create(id);
  return {
    keys,
    store,
    codec,
    runner,
    projections: runnerOfProjections,
    run(command) {
      const context: CommandContext = { actor: command.actor, correlationId: 'corr', at: command.at };
      return runner.run({ stream: recordStream(command.recordId), keyId: command.recordId, decider: recordDecider, command, context });
    },
    async close() {
      runnerOfProjections.close();
      await store.close();
      await keys.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
