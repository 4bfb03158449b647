import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandContext, EventSourcedRunner, PhiCodec, PipelinedAppender } from '@medrec/application';
import { SqliteKeyStore } from '@medrec/crypto';
import {
  AccessRecord,
  decideAccess,
  EMERGENCY_ACCESS_REVIEW_PHI_FIELDS,
  emergencyAccessReviewDecider,
  emergencyAccessReviewStream,
  RECORD_PHI_FIELDS,
  recordAccessStream,
  RecordCommand,
  recordDecider,
  RecordState,
  recordStream,
} from '@medrec/domain';
import { accessRecord, actors, approveDestruction, createRecord, destroyRecord } from '@medrec/domain/testing';
import { SqliteEventStore } from '@medrec/event-store';
import { ProjectionRunner } from '../projection-runner';
import { emergencyAccess, emergencyAccessProjection, unreviewedEmergencyAccesses } from './emergency-access.projection';

const A = '00000000-0000-4000-8000-0000000000a1';
const B = '00000000-0000-4000-8000-0000000000b1';

describe('emergency-access projection: emergency reads awaiting review', () => {
  let dir: string;
  let keys: SqliteKeyStore;
  let store: SqliteEventStore;
  let codec: PhiCodec;
  let runner: EventSourcedRunner;
  let appender: PipelinedAppender;
  let projections: ProjectionRunner;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'medrec-btg-'));
    keys = new SqliteKeyStore({ file: join(dir, 'keys.db'), masterKey: randomBytes(32) });
    store = new SqliteEventStore({ filename: ':memory:' });
    codec = new PhiCodec(keys, { ...RECORD_PHI_FIELDS, ...EMERGENCY_ACCESS_REVIEW_PHI_FIELDS });
    runner = new EventSourcedRunner(store, codec);
    appender = new PipelinedAppender(store);
    projections = new ProjectionRunner(store, codec, [emergencyAccessProjection], { filename: ':memory:' });
    for (const id of [A, B]) await keys.create(id);
  });

  afterEach(async () => {
    projections.close();
    await store.close();
    await keys.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const context = (c: { actor: CommandContext['actor']; at: string }): CommandContext => ({ actor: c.actor, correlationId: 'corr', at: c.at });
  const run = async (command: RecordCommand): Promise<RecordState> =>
    (await runner.run({ stream: recordStream(command.recordId), keyId: command.recordId, decider: recordDecider, command, context: context(command) })).state;

  /** As the API logs a read: decided, the justification sealed, appended to the access stream. */
  const read = async (state: RecordState, overrides: Partial<AccessRecord>) => {
    const command = accessRecord({ recordId: overrides.recordId, ...overrides });
    const accessed = decideAccess(command, state);
    const event = accessed.data.justification === undefined ? accessed : { type: accessed.type, data: await codec.encode(command.recordId, accessed) };
    await appender.append(recordAccessStream(command.recordId), [event], context(command));
  };

  it('lists emergency reads only, with the justification decrypted, until reviewed; forgets a destroyed record', async () => {
    const a = await run(createRecord({ recordId: A }));
    const b = await run(createRecord({ recordId: B }));
    await read(a, { recordId: A, accessId: 'acc-a1', purpose: 'treatment' });
    await read(a, { recordId: A, accessId: 'acc-a2', purpose: 'emergency', justification: 'Bleeding, unconscious' });
    await read(b, { recordId: B, accessId: 'acc-b1', purpose: 'emergency', justification: 'Cardiac arrest' });
    await projections.drain();

    expect(unreviewedEmergencyAccesses(projections.db, 100)).toEqual([
      expect.objectContaining({ accessId: 'acc-a2', recordId: A, actor: actors.clinician.username, justification: 'Bleeding, unconscious', reviewedAt: null }),
      expect.objectContaining({ accessId: 'acc-b1', recordId: B, justification: 'Cardiac arrest' }),
    ]);
    expect(emergencyAccess(projections.db, 'acc-a1')).toBeUndefined();

    const auditor = { userId: 'u-9', username: 'aud.itor', role: 'auditor' as const };
    await runner.run({
      stream: emergencyAccessReviewStream(A),
      keyId: A,
      decider: emergencyAccessReviewDecider,
      command: {
        type: 'ReviewEmergencyAccess',
        recordId: A,
        accessId: 'acc-a2',
        accessedBy: actors.clinician.username,
        note: 'Justified',
        actor: auditor,
        at: '2024-03-10T00:00:00.000Z',
      },
      context: context({ actor: auditor, at: '2024-03-10T00:00:00.000Z' }),
    });
    await projections.drain();
    expect(unreviewedEmergencyAccesses(projections.db, 100).map((x) => x.accessId)).toEqual(['acc-b1']);
    expect(emergencyAccess(projections.db, 'acc-a2')).toMatchObject({ reviewedBy: 'aud.itor', reviewedAt: '2024-03-10T00:00:00.000Z' });
    expect(unreviewedEmergencyAccesses(projections.db, 0)).toEqual([]);

    await run(approveDestruction({ recordId: B }));
    await run(destroyRecord({ recordId: B }));
    await projections.drain();
    expect(unreviewedEmergencyAccesses(projections.db, 100)).toEqual([]);
    expect(emergencyAccess(projections.db, 'acc-b1')).toBeUndefined();
  });
});
