import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventHash, GENESIS, SqliteKeyStore, verifyChain } from '@medrec/crypto';
import { DomainError, RECORD_PHI_FIELDS, recordDecider, recordStream, USERS_STREAM, usersDecider } from '@medrec/domain';
import { actors, amendRecord, completeOcr, createRecord, RECORD_ID, shredded, recordCreated, times } from '@medrec/domain/testing';
import { SqliteEventStore, WrongExpectedRevisionError } from '@medrec/event-store';
import type { CommandContext } from './command-context';
import type { Decider } from './decider';
import { EventSourcedRunner, SCHEMA_VERSION } from './event-sourced-runner';
import { PhiCodec } from './phi-codec';

const STREAM = recordStream(RECORD_ID);

const clerkContext: CommandContext = { actor: actors.clerk, correlationId: 'corr-create', at: times.created };
const himContext: CommandContext = {
  actor: actors.him,
  purpose: 'operations',
  correlationId: 'corr-amend',
  causationId: 'cause-amend',
  at: times.amended,
};

/** A decider that emits `count` events at once, to observe chaining within one append. */
type Tally = { type: 'Tallied'; data: { n: number } };
const tallyDecider: Decider<{ count: number }, Tally, number> = {
  initialState: () => 0,
  decide: ({ count }, state) => {
    if (count < 0) throw new RangeError('A negative count');
    return Array.from({ length: count }, (_, i) => ({ type: 'Tallied' as const, data: { n: state + i } }));
  },
  evolve: (state) => state + 1,
};

describe('EventSourcedRunner', () => {
  let dir: string;
  let keys: SqliteKeyStore;
  let store: SqliteEventStore;
  let runner: EventSourcedRunner;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'medrec-runner-'));
    keys = new SqliteKeyStore({ file: join(dir, 'keys.db'), masterKey: randomBytes(32) });
    store = new SqliteEventStore({ filename: ':memory:' });
    runner = new EventSourcedRunner(store, new PhiCodec(keys, RECORD_PHI_FIELDS));
    await keys.create(RECORD_ID);
  });

  afterEach(async () => {
    await store?.close();
    await keys?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const create = (context = clerkContext) => runner.run({ stream: STREAM, keyId: RECORD_ID, decider: recordDecider, command: createRecord(), context });
  const amend = (reason: string, expectedRevision?: number) =>
    runner.run({ stream: STREAM, keyId: RECORD_ID, decider: recordDecider, command: amendRecord({ reason }), context: himContext, expectedRevision });

  describe('run', () => {
    it('appends the decided event with its metadata and answers revision, position and the new state', async () => {
      const result = await create();

      const [stored] = await store.readStream(STREAM);
      expect(result).toEqual({
        state: expect.objectContaining({ status: 'active', patientName: 'Jane Q. Testpatient' }),
        revision: 0,
        position: stored.position,
        appended: [{ id: stored.id, type: 'RecordCreated', revision: 0 }],
      });
      expect(stored.metadata).toEqual({
        actor: actors.clerk.username,
        actorId: actors.clerk.userId,
        role: 'clerk',
        correlationId: 'corr-create',
        causationId: 'corr-create', // defaults to the correlation id
        occurredAt: times.created,
        schemaVersion: SCHEMA_VERSION,
        prevHash: GENESIS,
        hash: eventHash(stored),
      });
      expect(stored.metadata).not.toHaveProperty('purpose');
    });

    it('stores PHI sealed: the stored data has `phi` and no clear PHI', async () => {
      await create();

      const [stored] = await store.readStream(STREAM);
      expect((stored.data.phi as string).startsWith('v1.')).toBe(true);
      expect(JSON.stringify(stored)).not.toContain('Jane Q. Testpatient');
      expect(JSON.stringify(stored)).not.toContain('MRN-004217');
    });

    it('carries purpose and causation id when given, and chains each event onto the previous one', async () => {
      await create();
      await amend('First correction');
      await amend('Second correction');

      const stored = await store.readStream(STREAM);
      expect(stored.map((e) => e.revision)).toEqual([0, 1, 2]);
      expect(stored[1].metadata).toMatchObject({
        actor: actors.him.username,
        actorId: actors.him.userId,
        role: 'him',
        purpose: 'operations',
        correlationId: 'corr-amend',
        causationId: 'cause-amend',
        occurredAt: times.amended,
      });
      expect(stored[0].metadata.prevHash).toBe(GENESIS);
      for (let i = 1; i < stored.length; i++) expect(stored[i].metadata.prevHash).toBe(stored[i - 1].metadata.hash);
      for (const e of stored) expect(e.metadata.hash).toBe(eventHash(e));
      expect(verifyChain(stored)).toEqual({ valid: true });
    });

    it('chains several events decided by one command and reports each one', async () => {
      const first = await runner.run({ stream: 'tally-1', keyId: null, decider: tallyDecider, command: { count: 3 }, context: clerkContext });
      const second = await runner.run({ stream: 'tally-1', keyId: null, decider: tallyDecider, command: { count: 2 }, context: clerkContext });

      const stored = await store.readStream('tally-1');
      expect(first.appended.map((a) => a.revision)).toEqual([0, 1, 2]);
      expect(second.appended.map((a) => a.revision)).toEqual([3, 4]);
      expect([...first.appended, ...second.appended].map((a) => a.id)).toEqual(stored.map((e) => e.id));
      expect(second).toMatchObject({ state: 5, revision: 4, position: stored[4].position });
      expect(stored.map((e) => e.data)).toEqual([0, 1, 2, 3, 4].map((n) => ({ n })));
      expect(verifyChain(stored)).toEqual({ valid: true });
    });

    it('runAll: each command decided on the state before it, attributed to its own context, all in one append', async () => {
      const result = await runner.runAll({
        stream: 'tally-2',
        keyId: null,
        decider: tallyDecider,
        steps: [
          { command: { count: 2 }, context: clerkContext },
          { command: { count: 0 }, context: clerkContext },
          { command: { count: 1 }, context: himContext },
        ],
      });

      const stored = await store.readStream('tally-2');
      expect(stored.map((e) => [e.data.n, e.metadata.actor, e.position])).toEqual([
        [0, actors.clerk.username, stored[0].position],
        [1, actors.clerk.username, stored[0].position + 1],
        [2, actors.him.username, stored[0].position + 2],
      ]);
      expect(result).toMatchObject({ state: 3, revision: 2, position: stored[2].position });
      expect(verifyChain(stored)).toEqual({ valid: true });

      await expect(
        runner.runAll({
          stream: 'tally-2',
          keyId: null,
          decider: tallyDecider,
          steps: [
            { command: { count: 1 }, context: clerkContext },
            { command: { count: -1 }, context: clerkContext },
          ],
        }),
      ).rejects.toThrow(RangeError);
      expect(await store.readStream('tally-2')).toHaveLength(3);
    });

    it('writes events of streams without PHI (keyId null) in clear', async () => {
      const command = {
        type: 'CreateUser' as const,
        userId: 'u-9',
        username: 'Ada.Admin',
        roles: ['admin'],
        passwordHash: 'scrypt$x',
        actor: 'system',
        at: times.created,
      };
      await runner.run({ stream: USERS_STREAM, keyId: null, decider: usersDecider, command, context: clerkContext });

      const [stored] = await store.readStream(USERS_STREAM);
      expect(stored.data).toMatchObject({ userId: 'u-9', username: 'ada.admin', roles: ['admin'] });
      expect(stored.data).not.toHaveProperty('phi');
    });

    it('accepts a matching expected revision', async () => {
      await create();

      await expect(amend('Correction', 0)).resolves.toMatchObject({ revision: 1 });
    });

    it('refuses a stale expected revision with WrongExpectedRevisionError and appends nothing', async () => {
      await create();
      await amend('Correction');
      const head = await store.headPosition();

      const attempt = amend('Based on an old view', 0);

      await expect(attempt).rejects.toThrow(WrongExpectedRevisionError);
      await expect(attempt).rejects.toMatchObject({ stream: STREAM, expected: 0, actual: 1 });
      expect(await store.headPosition()).toBe(head);
      expect(await store.streamRevision(STREAM)).toBe(1);
    });

    it('refuses an expected revision on a stream that does not exist', async () => {
      await expect(amend('Correction', 0)).rejects.toMatchObject({ name: 'WrongExpectedRevisionError', actual: 'no_stream' });
      expect(await store.headPosition()).toBe(0);
    });

    it('appends nothing when the decider decides nothing', async () => {
      await create();
      const ocr = completeOcr();
      await runner.run({ stream: STREAM, keyId: RECORD_ID, decider: recordDecider, command: ocr, context: clerkContext });
      const head = await store.headPosition();

      const again = await runner.run({ stream: STREAM, keyId: RECORD_ID, decider: recordDecider, command: ocr, context: clerkContext });

      expect(again).toMatchObject({ revision: 1, position: null, appended: [] });
      expect(await store.headPosition()).toBe(head);
    });

    it('lets a DomainError from the decider through and appends nothing', async () => {
      await create();

      await expect(create()).rejects.toMatchObject({ kind: 'conflict' });
      await expect(create()).rejects.toBeInstanceOf(DomainError);
      expect(await store.streamRevision(STREAM)).toBe(0);
    });

    it('of two concurrent commands on one stream, commits exactly one and refuses the other (no silent retry)', async () => {
      await create();

      const outcomes = await Promise.allSettled([amend('Correction by the first clerk'), amend('Correction by the second clerk')]);

      const fulfilled = outcomes.filter((o) => o.status === 'fulfilled');
      const rejected = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
      expect(fulfilled).toHaveLength(1);
      expect(rejected).toHaveLength(1);
      expect(rejected[0].reason).toBeInstanceOf(WrongExpectedRevisionError);
      const stored = await store.readStream(STREAM);
      expect(stored).toHaveLength(2);
      expect(verifyChain(stored)).toEqual({ valid: true });
      const loaded = await runner.load(STREAM, RECORD_ID, recordDecider);
      const winner = outcomes[0].status === 'fulfilled' ? 'Correction by the first clerk' : 'Correction by the second clerk';
      expect(loaded.events[1].event.data).toMatchObject({ reason: winner });
    });

    it('of two concurrent creations of one record, commits one and refuses the other with WrongExpectedRevisionError', async () => {
      const outcomes = await Promise.allSettled([create(), create()]);

      expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
      const rejected = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected')!;
      expect(rejected.reason).toBeInstanceOf(WrongExpectedRevisionError);
      expect(await store.streamRevision(STREAM)).toBe(0);
    });
  });

  describe('load', () => {
    it('answers the initial state, revision null and GENESIS for a stream that does not exist', async () => {
      await expect(runner.load(STREAM, RECORD_ID, recordDecider)).resolves.toEqual({
        state: { status: 'absent' },
        revision: null,
        lastHash: GENESIS,
        events: [],
      });
    });

    it('folds the decoded events and returns the revision and the hash of the last event', async () => {
      await create();
      await amend('Correction');

      const loaded = await runner.load(STREAM, RECORD_ID, recordDecider);

      const stored = await store.readStream(STREAM);
      expect(loaded.revision).toBe(1);
      expect(loaded.lastHash).toBe(stored[1].metadata.hash);
      expect(loaded.state).toMatchObject({ status: 'active', patientName: 'Jane Q. Testpatient', mrn: 'MRN-004217' });
      expect(loaded.state.status !== 'absent' && loaded.state.versions.map((v) => v.reason)).toEqual([null, 'Correction']);
      expect(loaded.events.map((e) => e.phiReadable)).toEqual([true, true]);
      expect(loaded.events[0].event).toEqual(recordCreated());
    });

    it('still folds the clear facts after the record key is destroyed', async () => {
      await create();
      await keys.destroy(RECORD_ID);

      const loaded = await runner.load(STREAM, RECORD_ID, recordDecider);

      expect(loaded.events[0]).toMatchObject({ phiReadable: false, event: shredded(recordCreated()) });
      expect(loaded.state).toMatchObject({ status: 'active', recordId: RECORD_ID, documentType: 'discharge-summary' });
      expect(loaded.state.status !== 'absent' && loaded.state.patientName).toBeUndefined();
    });
  });
});
