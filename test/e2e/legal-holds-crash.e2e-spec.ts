import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServerProcess, ServerProcess } from '../support/server-process';
import { eventCount, readEventStore, uploadTinyCharts } from './support/crash-support';
import { ADMIN_PASSWORD, GENEROUS_SIGN_IN_LIMITS, login, PASSWORD, purpose, usersByRole } from './support/harness';

/**
 * Placing a matter hold over many records is resumable: kill -9 the server (a separate process)
 * while it places a hold over 200 records, restart on the same data directory, and the new process
 * completes the placement by itself (the hold's stream has no MatterHoldPlacementCompleted until
 * then): every record holds the matter hold exactly once, attributed to the person who placed it,
 * and lifting it lifts it from all of them.
 */

const RECORDS = 200;
const MATTER = 'Doe v. County Hospital';
const ENV = { MEDREC_ADMIN_PASSWORD: ADMIN_PASSWORD, MEDREC_OCR_IN_PROCESS: 'false', ...GENEROUS_SIGN_IN_LIMITS };

/** How many LegalHoldPlaced of this matter hold each record stream has. */
function placementsOf(dataDir: string, holdId: string): Map<string, number> {
  const rows = readEventStore<{ stream: string; n: number }>(
    dataDir,
    "SELECT stream, count(*) AS n FROM events WHERE type = 'LegalHoldPlaced' AND json_extract(data, '$.holdId') = ? GROUP BY stream",
    holdId,
  );
  return new Map(rows.map((r) => [r.stream, r.n]));
}

describe('matter hold placement survives a crash mid-way', () => {
  it('kill -9 while a hold over 200 records is placed, restart: the new process completes it, each record held once', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'medrec-hold-crash-'));
    let server: ServerProcess | undefined;
    try {
      server = await startServerProcess(dataDir, ENV);
      const u = await usersByRole(server.baseUrl);

      // Each attempt: 200 fresh records and a hold over them, the server killed once some hold it.
      // Should the placement finish before the watcher sees it, the next attempt starts over.
      let ids: string[] = [];
      let holdId: string | undefined;
      let heldBeforeKill = 0;
      for (let attempt = 0; attempt < 3 && holdId === undefined; attempt++) {
        ids = await uploadTinyCharts(u.clerk, RECORDS, 'hold-crash', (i) => ({ mrn: `LH-${i % 20}`, title: `Chart ${i}` }));
        const before = eventCount(dataDir, 'LegalHoldPlaced');
        const running = server;
        let watching = true;
        let killed = false;
        const watcher = (async () => {
          while (watching) {
            const n = eventCount(dataDir, 'LegalHoldPlaced') - before;
            if (n > 0 && n < RECORDS) {
              running.child.kill('SIGKILL');
              killed = true;
              heldBeforeKill = n;
              return;
            }
            await new Promise((r) => setTimeout(r, 1));
          }
        })();
        const placed = await u.legal.post('/api/legal-holds', { matter: MATTER, reason: 'Preservation notice', recordIds: ids }).catch(() => undefined);
        watching = false;
        await watcher;
        if (killed) {
          expect(placed).toBeUndefined(); // the connection died with the server
          await running.kill9();
          const [latest] = readEventStore<{ stream: string }>(
            dataDir,
            "SELECT stream FROM events WHERE type = 'MatterHoldPlaced' ORDER BY position DESC LIMIT 1",
          );
          holdId = latest.stream.replace(/^legal-hold-/, '');
        } else {
          expect(placed?.status).toBe(201);
        }
      }
      expect(holdId).toBeDefined();
      expect(heldBeforeKill).toBeGreaterThan(0);
      expect(heldBeforeKill).toBeLessThan(RECORDS);
      const partial = placementsOf(dataDir, holdId!);
      expect(partial.size).toBeLessThan(RECORDS);
      const completions = () =>
        readEventStore<{ n: number }>(
          dataDir,
          "SELECT count(*) AS n FROM events WHERE stream = ? AND type = 'MatterHoldPlacementCompleted'",
          `legal-hold-${holdId}`,
        )[0].n;
      expect(completions()).toBe(0);

      // The next start completes the placement on its own, without any request.
      server = await startServerProcess(dataDir, ENV);
      const deadline = Date.now() + 30_000;
      while (completions() === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(completions()).toBe(1);
      const placements = placementsOf(dataDir, holdId!);
      for (const id of ids) expect({ id, n: placements.get(`record-${id}`) }).toEqual({ id, n: 1 });
      // Attributed to the person who placed the matter hold, caused by its placement.
      const [placedEvent] = readEventStore<{ id: string }>(
        dataDir,
        "SELECT id FROM events WHERE stream = ? AND type = 'MatterHoldPlaced'",
        `legal-hold-${holdId}`,
      );
      const metadata = readEventStore<{ actor: string; causation: string }>(
        dataDir,
        "SELECT json_extract(metadata, '$.actor') AS actor, json_extract(metadata, '$.causationId') AS causation FROM events WHERE type = 'LegalHoldPlaced' AND json_extract(data, '$.holdId') = ?",
        holdId,
      );
      expect(metadata).toHaveLength(RECORDS);
      expect(new Set(metadata.map((m) => m.actor))).toEqual(new Set(['legal1']));
      const resumed = metadata.filter((m) => m.causation === placedEvent.id);
      expect(resumed.length).toBe(RECORDS - partial.size);

      const legal = await login(server.baseUrl, 'legal1', PASSWORD);
      const archivist = await login(server.baseUrl, 'archivist1', PASSWORD);
      const notHeldAtKill = ids.find((id) => !partial.has(`record-${id}`))!;
      const record = await archivist.get(`/api/records/${notHeldAtKill}`, purpose('operations'));
      expect(record.body.holds).toEqual([{ holdId, matter: MATTER }]);
      const holds = await legal.get('/api/legal-holds', purpose('legal'));
      const hold = (holds.body.holds as Array<{ id: string; recordIds: string[] }>).find((h) => h.id === holdId);
      expect([...hold!.recordIds].sort()).toEqual([...ids].sort());

      // A restart with nothing left to do places nothing more.
      const placedInAll = eventCount(dataDir, 'LegalHoldPlaced');
      await server.stop();
      server = await startServerProcess(dataDir, ENV);
      await new Promise((r) => setTimeout(r, 1000));
      expect(eventCount(dataDir, 'LegalHoldPlaced')).toBe(placedInAll);
      expect(completions()).toBe(1);

      const legalAgain = await login(server.baseUrl, 'legal1', PASSWORD);
      expect((await legalAgain.request('DELETE', `/api/legal-holds/${holdId}`)).status).toBe(204);
      const lifted = readEventStore<{ n: number }>(
        dataDir,
        "SELECT count(*) AS n FROM events WHERE type = 'LegalHoldLifted' AND json_extract(data, '$.holdId') = ?",
        holdId,
      )[0].n;
      expect(lifted).toBe(RECORDS);
    } finally {
      await server?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000);
});
