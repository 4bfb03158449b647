import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PhiCodec } from '@medrec/application';
import { SqliteKeyStore } from '@medrec/crypto';
import { SqliteEventStore } from '@medrec/event-store';
import { contentIndexProjection } from './content-index.projection';
import { ProjectionRunner } from './projection-runner';
import { ReadModelBehindError, ReadModels } from './read-models';

const metadata = { actor: 'u', role: 'clerk', correlationId: 'c', causationId: 'c', occurredAt: '2026-01-01T00:00:00Z', schemaVersion: 1 };

describe('ReadModels: waiting for a position (read-your-writes)', () => {
  let dir: string;
  let store: SqliteEventStore;
  let keys: SqliteKeyStore;
  let projections: ProjectionRunner;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'medrec-ryw-'));
    store = new SqliteEventStore({ filename: join(dir, 'events.db') });
    keys = new SqliteKeyStore({ file: join(dir, 'keys.db'), masterKey: randomBytes(32) });
    projections = new ProjectionRunner(store, new PhiCodec(keys, {}), [contentIndexProjection], { filename: join(dir, 'read.db'), pollIntervalMs: 20 });
  });

  afterEach(async () => {
    await projections.stop();
    projections.close();
    await store.close();
    await keys.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers once the views have reached the position, and at once without one', async () => {
    const readModels = new ReadModels(projections, store);
    await expect(readModels.reach(undefined)).resolves.toBeUndefined();
    const { position } = await store.append('s', [{ type: 'Noted', data: {}, metadata }], 'any');
    projections.start();
    await expect(readModels.reach(position)).resolves.toBeUndefined();
    await expect(readModels.reachHead()).resolves.toBeUndefined();
  });

  it('fails with ReadModelBehindError (503, Retry-After) when the views stay behind', async () => {
    const readModels = new ReadModels(projections, store, { timeoutMs: 50 });
    projections.start();
    const error: unknown = await readModels.reach(1000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReadModelBehindError);
    expect(error).toMatchObject({ position: 1000, retryAfterSeconds: 1 });
  });

  it('fails with ReadModelBehindError at the next position when the views cannot reach the head', async () => {
    await store.append('s', [{ type: 'Noted', data: {}, metadata }], 'any');
    const readModels = new ReadModels(projections, store, { timeoutMs: 50 });
    await expect(readModels.reachHead()).rejects.toMatchObject({ name: 'ReadModelBehindError', position: 1 });
  });
});
