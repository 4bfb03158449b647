import { DomainError } from '@medrec/domain';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PhiCodec } from '@medrec/application';
import { SqliteKeyStore } from '@medrec/crypto';
import { SqliteEventStore } from '@medrec/event-store';
import { contentIndexProjection, ProjectionRunner } from '@medrec/read-models';
import { ProblemDetailsFilter } from '../problem/problem-details.filter';
import { awaitReadModels, parseAfter, ReadModelBehindError } from './read-your-writes';

const metadata = { actor: 'u', role: 'clerk', correlationId: 'c', causationId: 'c', occurredAt: '2026-01-01T00:00:00Z', schemaVersion: 1 };

describe('read-your-writes (?after=<position>)', () => {
  let dir: string;
  let store: SqliteEventStore;
  let keys: SqliteKeyStore;
  let runner: ProjectionRunner;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'medrec-ryw-'));
    store = new SqliteEventStore({ filename: join(dir, 'events.db') });
    keys = new SqliteKeyStore({ file: join(dir, 'keys.db'), masterKey: randomBytes(32) });
    runner = new ProjectionRunner(store, new PhiCodec(keys, {}), [contentIndexProjection], { filename: join(dir, 'read.db'), pollIntervalMs: 20 });
  });

  afterEach(async () => {
    await runner.stop();
    runner.close();
    await store.close();
    await keys.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('accepts a position or nothing, and refuses anything else with 400', () => {
    expect(parseAfter(undefined)).toBeUndefined();
    expect(parseAfter('')).toBeUndefined();
    expect(parseAfter('42')).toBe(42);
    for (const bad of ['-1', '1.5', 'abc', '1e3', ['1', '2'], '9'.repeat(16)]) expect(() => parseAfter(bad)).toThrow(DomainError);
  });

  it('answers once the views have reached the position', async () => {
    const { position } = await store.append('s', [{ type: 'Noted', data: {}, metadata }], 'any');
    runner.start();
    await expect(awaitReadModels(runner, String(position))).resolves.toBeUndefined();
  });

  it('answers 503 with Retry-After when the views stay behind', async () => {
    runner.start();
    const error = await awaitReadModels(runner, '1000', 50).catch((e) => e);
    expect(error).toBeInstanceOf(ReadModelBehindError);
    const [status, body] = new ProblemDetailsFilter().toProblem(error);
    expect(status).toBe(503);
    expect(body).toMatchObject({ status: 503, position: 1000 });
    expect(error.retryAfterSeconds).toBe(1);
  });
});
