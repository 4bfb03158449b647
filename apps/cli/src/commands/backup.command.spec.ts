import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { EventSourcedRunner } from '@medrec/application';
import { GENESIS } from '@medrec/crypto';
import { loadConfig } from '@medrec/platform/config/app-config';
import { openStores } from '@medrec/platform/stores/open-stores';
import { CLI_ACTOR_ID } from '../cli-context';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from '../cli-error';
import { runCli } from '../program';
import { testIo } from '../testing/test-io';

/** The refusals of `backup` and `restore`, and a round trip on a data directory without a server (the e2e spec runs one). */
describe('medrec backup / restore', () => {
  let root: string;
  let dataDir: string;
  const run = async (argv: string[], env: Record<string, string> = {}) => {
    const io = testIo({ MEDREC_DATA_DIR: dataDir, ...env });
    const code = await runCli(argv, io);
    return { code, out: io.out(), err: io.err() };
  };

  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'medrec-backup-spec-'));
    dataDir = join(root, 'data');
    // An embedded deployment as the server leaves it: event store, key store, generated master key.
    const stores = await openStores(loadConfig({ MEDREC_DATA_DIR: dataDir }));
    await stores.keys.create('a-key');
    await stores.close();
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('refuses while master.key is in the data directory and neither --include- nor --exclude-master-key says what to do with it', async () => {
    const result = await run(['backup', join(root, 'b')]);
    expect(result.code).toBe(EXIT_USAGE);
    expect(result.err).toContain('--exclude-master-key');
    expect(existsSync(join(root, 'b'))).toBe(false);
  });

  it('refuses a target that is not empty, and the EventStoreDB deployment', async () => {
    mkdirSync(join(root, 'b'));
    writeFileSync(join(root, 'b', 'something'), 'x');
    expect((await run(['backup', join(root, 'b'), '--exclude-master-key'])).err).toContain('is not empty');
    const esdb = await run(['backup', join(root, 'c'), '--exclude-master-key'], {
      EVENT_STORE: 'eventstoredb',
      EVENTSTORE_CONNECTION_STRING: 'esdb://localhost:2113',
    });
    expect(esdb.code).toBe(EXIT_USAGE);
    expect(esdb.err).toContain('README "Backup and restore"');
  });

  it('without the master key, restore needs one given; with --include-master-key the backup carries it (and says so)', async () => {
    const without = join(root, 'without');
    expect((await run(['backup', without, '--exclude-master-key'])).code).toBe(EXIT_OK);
    const masterKey = readFileSync(join(dataDir, 'master.key'), 'utf8');
    rmSync(dataDir, { recursive: true });
    const refused = await run(['restore', without]);
    expect(refused.code).toBe(EXIT_USAGE);
    expect(refused.err).toContain('--master-key-file');
    expect(existsSync(dataDir)).toBe(false);
    writeFileSync(join(root, 'other.key'), Buffer.alloc(32, 7).toString('base64'));
    const wrongKey = await run(['restore', without, '--master-key-file', join(root, 'other.key')]);
    expect(wrongKey.code).toBe(EXIT_USAGE);
    expect(wrongKey.err).toContain("does not open this backup's key store");
    expect(existsSync(dataDir)).toBe(false);
    writeFileSync(join(root, 'kept.key'), masterKey);
    expect((await run(['restore', without, '--master-key-file', join(root, 'kept.key')])).code).toBe(EXIT_OK);
    expect((await run(['verify'])).code).toBe(EXIT_OK);

    const withKey = join(root, 'with');
    const taken = await run(['backup', withKey, '--include-master-key']);
    expect(taken.code).toBe(EXIT_OK);
    expect(taken.err).toContain('the backup holds the master key');
    expect(readFileSync(join(withKey, 'master.key'), 'utf8')).toBe(masterKey);
    expect(readdirSync(withKey).sort()).toEqual(['events.db', 'keys.db', 'manifest.json', 'master.key']);
  });

  it('restore refuses a data directory that is not empty unless --force, and a manifest naming a path outside the backup', async () => {
    const backup = join(root, 'b');
    const taken = await run(['backup', backup, '--exclude-master-key']);
    expect(taken.code).toBe(EXIT_OK);
    const refused = await run(['restore', backup]);
    expect(refused.code).toBe(EXIT_USAGE);
    expect(refused.err).toContain('--force');
    const forced = await run(['restore', backup, '--force']);
    expect(forced.code).toBe(EXIT_OK);
    expect(forced.out).toContain('read models rebuilt');

    // The manifest checked against the SHA-256 backup printed.
    const printed = /manifest.json SHA-256 ([0-9a-f]{64})/.exec(taken.out)![1];
    expect((await run(['restore', backup, '--force', '--manifest-sha256', printed])).code).toBe(EXIT_OK);
    const manifest = JSON.parse(readFileSync(join(backup, 'manifest.json'), 'utf8'));
    manifest.files.push({ path: '../outside', size: 1, sha256: '0'.repeat(64) });
    writeFileSync(join(backup, 'manifest.json'), JSON.stringify(manifest));
    const invalid = await run(['restore', backup, '--force']);
    expect(invalid.code).toBe(EXIT_USAGE);
    expect(invalid.err).toContain('invalid file entry "../outside"');
    const altered = await run(['restore', backup, '--force', '--manifest-sha256', printed]);
    expect(altered.code).toBe(EXIT_FAILURE);
    expect(altered.err).toContain('manifest.json is not the one written');
  });

  it('destruction-ledger apply marks the key of a ledger record the store lacks destroyed, and reports lines that are not entries', async () => {
    const recordId = '00000000-0000-4000-8000-000000000042';
    const entry = {
      recordId,
      authority: 'Schedule GS-12',
      approvedBy: 'a2',
      destroyedBy: 'a1',
      destroyedAt: '2026-01-01T00:00:00.000Z',
      loggedAt: '2026-01-01T00:00:01.000Z',
    };
    writeFileSync(`${dataDir}-destruction-ledger.jsonl`, `${JSON.stringify(entry)}\nnot json\n`);
    const applied = await run(['destruction-ledger', 'apply']);
    expect(applied.code).toBe(EXIT_OK);
    expect(applied.out).toContain('1 entries; 0 record(s) destroyed again, 1 not in the store');
    expect(applied.err).toContain('destruction ledger lines 2 are not valid entries');
    const stores = await openStores(loadConfig({ MEDREC_DATA_DIR: dataDir }));
    try {
      expect(await stores.keys.isDestroyed(recordId)).toBe(true);
      await expect(stores.keys.create(recordId)).rejects.toThrow();
    } finally {
      await stores.close();
    }
  });

  it("restore destroys a key left behind of a record whose RecordDestroyed is in the backup's log", async () => {
    const recordId = '00000000-0000-4000-8000-000000000043';
    const stores = await openStores(loadConfig({ MEDREC_DATA_DIR: dataDir }));
    try {
      (await stores.keys.create(recordId)).fill(0);
      // As a backup taken between a destruction's append and its key's destruction finds it.
      const tombstone = {
        type: 'RecordDestroyed',
        data: { recordId, authority: 'GS-12', approvedBy: 'a2', destroyedBy: 'a1', destroyedAt: '2026-01-01T00:00:00.000Z' },
      };
      const actor = { userId: CLI_ACTOR_ID, username: 'spec', role: 'admin' as const };
      await new EventSourcedRunner(stores.events, stores.codec).appendChained(
        `record-${recordId}`,
        recordId,
        [tombstone],
        { actor, correlationId: randomUUID(), at: new Date().toISOString() },
        'no_stream',
        GENESIS,
      );
    } finally {
      await stores.close();
    }
    const backup = join(root, 'b');
    expect((await run(['backup', backup, '--exclude-master-key'])).code).toBe(EXIT_OK);
    const restored = await run(['restore', backup, '--force']);
    expect(restored.code).toBe(EXIT_OK);
    expect(restored.err).toContain("1 record(s) destroyed in the backup's log had a key left: destroyed");
    const after = await openStores(loadConfig({ MEDREC_DATA_DIR: dataDir }));
    try {
      expect(await after.keys.get(recordId)).toBeNull();
      expect(await after.keys.isDestroyed(recordId)).toBe(true);
    } finally {
      await after.close();
    }
  });
});
