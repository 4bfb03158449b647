import Database from '@medrec/sqlite';
import type { ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { ProjectionRunner } from '@medrec/read-models';
import { EXIT_OK } from '../../apps/cli/src/cli-error';
import { runCli } from '../../apps/cli/src/program';
import { PROJECTIONS } from '@medrec/platform';
import { startServerProcess } from '../support/server-process';
import { approveAndDestroy, recordForm, startApp, TINY_PNG, usersByRole } from './support/harness';

/**
 * The projection runner applies each batch and its checkpoint in one transaction. Kill the server
 * with SIGKILL while it replays a large log into empty read models, restart, and the read models
 * must equal those of a clean rebuild: nothing lost, nothing applied twice.
 */

const READ_MODELS = 'read-models.db';

function removeReadModels(dataDir: string): void {
  for (const suffix of ['', '-wal', '-shm']) rmSync(join(dataDir, READ_MODELS + suffix), { force: true });
}

/**
 * Row count of every table of the read models, the checkpoints excepted. An FTS5 table counts its
 * documents (and its distinct terms); its shadow tables (segments, index) are left out: their
 * layout depends on where transactions ended, not on what is indexed.
 */
function rowCounts(dataDir: string): Record<string, number> {
  const db = new Database(join(dataDir, READ_MODELS), { readonly: true });
  try {
    const virtual = (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%'").all() as Array<{ name: string }>
    ).map((t) => t.name);
    const tables = (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'projection_checkpoints' ORDER BY name").all() as Array<{ name: string }>
    )
      .map((t) => t.name)
      .filter((name) => !virtual.some((v) => name.startsWith(`${v}_`)));
    const counts: Record<string, number> = Object.fromEntries(
      tables.map((name) => [name, (db.prepare(`SELECT count(*) AS n FROM "${name}"`).get() as { n: number }).n]),
    );
    for (const v of virtual) {
      // Distinct terms, through a temporary fts5vocab view of the index.
      const vocab = `temp."${v}_terms_check"`;
      db.exec(`CREATE VIRTUAL TABLE IF NOT EXISTS ${vocab} USING fts5vocab(main, "${v}", 'row')`);
      counts[`${v} terms`] = (db.prepare(`SELECT count(*) AS n FROM ${vocab}`).get() as { n: number }).n;
    }
    return counts;
  } finally {
    db.close();
  }
}

/** The lowest checkpoint, or null while the read models do not exist yet. */
function lowestCheckpoint(dataDir: string): number | null {
  const file = join(dataDir, READ_MODELS);
  if (!existsSync(file)) return null;
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    const row = db.prepare('SELECT min(position) AS p, count(*) AS n FROM projection_checkpoints').get() as { p: number | null; n: number };
    return row.n === 0 ? null : row.p;
  } catch {
    return null; // being created
  } finally {
    db?.close();
  }
}

function headPosition(dataDir: string): number {
  const db = new Database(join(dataDir, 'events.db'), { readonly: true });
  try {
    return (db.prepare('SELECT max(position) AS p FROM events').get() as { p: number }).p;
  } finally {
    db.close();
  }
}

function quietIo(dataDir: string) {
  const sink = () => new Writable({ write: (_chunk, _encoding, done) => done() });
  const stdin = new PassThrough();
  stdin.end();
  return { env: { MEDREC_DATA_DIR: dataDir }, stdin, stdout: sink(), stderr: sink() };
}

describe('projections survive a crash mid-replay', () => {
  it('kill -9 between batches of a replay, restart: row counts equal a clean rebuild', async () => {
    // A log with every kind of record event, written through the app.
    const app = await startApp();
    const dataDir = app.dataDir;
    try {
      const u = await usersByRole(app.baseUrl);
      const ids: string[] = [];
      for (let chunk = 0; chunk < 10; chunk++) {
        const created = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            u.clerk.request('POST', '/api/records', {
              form: recordForm({ mrn: `PC-${chunk % 4}`, title: `Chart ${chunk}-${i}` }, Buffer.concat([TINY_PNG, Buffer.from(`pc-${chunk}-${i}`)])),
            }),
          ),
        );
        for (const res of created) {
          expect(res.status).toBe(201);
          ids.push(res.body.id);
        }
      }
      await Promise.all(ids.map((id) => u.clinician.get(`/api/records/${id}`, { 'x-purpose-of-use': 'treatment' })));
      for (const id of ids.slice(0, 40)) {
        const release = await u.him.post(`/api/records/${id}/releases`, {
          recipient: { name: 'Dr. Receiving', address: '1 Clinic Way' },
          purpose: 'continuity of care',
          authorizationReference: 'AUTH-1',
          description: 'Discharge summary',
        });
        expect(release.status).toBe(201);
      }
      for (const id of ids.slice(40, 60)) {
        const form = new FormData();
        form.append('kind', 'addendum');
        form.append('reason', 'Late note');
        form.append('title', 'Chart with addendum');
        expect((await u.him.request('POST', `/api/records/${id}/amendments`, { form })).status).toBe(201);
      }
      for (const id of ids.slice(60, 70)) expect((await u.him.post(`/api/records/${id}/archive`, { reason: 'Inactive' })).status).toBe(200);
      for (const id of ids.slice(70, 75)) {
        expect((await approveAndDestroy(u, id)).status).toBe(200);
      }
    } finally {
      await app.close({ keepData: true });
    }
    const head = headPosition(dataDir);
    expect(head).toBeGreaterThan(450);

    try {
      // Replay into empty read models in a separate server process and kill it part-way.
      let killedAt: number | null = null;
      for (let attempt = 0; attempt < 4 && killedAt === null; attempt++) {
        removeReadModels(dataDir);
        let child: ChildProcess | undefined;
        let watching = true;
        const watcher = (async () => {
          while (watching) {
            const low = lowestCheckpoint(dataDir);
            if (child && low !== null && low > 0 && low < head) {
              child.kill('SIGKILL');
              killedAt = low;
              return;
            }
            await new Promise((r) => setTimeout(r, 1));
          }
        })();
        const server = await startServerProcess(
          dataDir,
          { MEDREC_OCR_IN_PROCESS: 'false', MEDREC_PROJECTION_BATCH_SIZE: String(20 >> attempt || 1) },
          [],
          (c) => (child = c),
        ).catch(() => undefined);
        if (server && killedAt === null) {
          // Ready before the watcher saw a partial replay: wait a little longer for it, else retry.
          await new Promise((r) => setTimeout(r, 200));
        }
        watching = false;
        await watcher;
        if (child && child.exitCode === null && child.signalCode === null) {
          if (killedAt === null) child.kill('SIGTERM');
          await new Promise((r) => child!.once('exit', r));
        }
      }
      expect(killedAt).not.toBeNull();
      // The kill left the read models part-way: some events applied, not all.
      expect(lowestCheckpoint(dataDir)).toBeLessThan(head);

      const restarted = await startApp(dataDir);
      try {
        expect(await restarted.app.get(ProjectionRunner).catchUp(30_000)).toBe(true);
        // Lag per projection: zero for every one once caught up.
        const ready = (await fetch(`${restarted.baseUrl}/health/ready`).then((r) => r.json())) as {
          position: number;
          projections: Array<{ name: string; position: number; lag: number }>;
        };
        expect(ready.projections.map((p) => p.name).sort()).toEqual(PROJECTIONS.map((p) => p.name).sort());
        for (const p of ready.projections) expect(p).toMatchObject({ position: ready.position, lag: 0 });
      } finally {
        await restarted.close({ keepData: true });
      }
      const afterCrash = rowCounts(dataDir);
      expect(await runCli(['projections', 'rebuild'], quietIo(dataDir))).toBe(EXIT_OK);
      const clean = rowCounts(dataDir);
      expect(afterCrash).toEqual(clean);
      expect(Object.keys(clean).length).toBeGreaterThanOrEqual(3);
      expect(Object.values(clean).some((n) => n > 0)).toBe(true);

      // `projections status` reads the checkpoints and changes nothing, not even a projection of
      // another version (which the next server or rebuild replays: it counts as position 0).
      const file = join(dataDir, 'read-models.db');
      const writable = new Database(file);
      writable.prepare("UPDATE projection_checkpoints SET version = 999 WHERE name = 'search'").run();
      writable.close();
      let printed = '';
      const io = { ...quietIo(dataDir), stdout: new Writable({ write: (chunk, _encoding, done) => ((printed += chunk), done()) }) };
      expect(await runCli(['projections', 'status', '--json'], io)).toBe(EXIT_OK);
      const status = JSON.parse(printed) as Array<{ name: string; position: number; lag: number }>;
      expect(status.find((p) => p.name === 'search')).toMatchObject({ position: 0 });
      expect(status.filter((p) => p.name !== 'search').every((p) => p.lag === 0)).toBe(true);
      expect(rowCounts(dataDir)).toEqual(clean);
      const after = new Database(file, { readonly: true });
      expect(after.prepare("SELECT version FROM projection_checkpoints WHERE name = 'search'").get()).toEqual({ version: 999 });
      after.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000);
});
