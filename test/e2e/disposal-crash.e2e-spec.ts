import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServerProcess, ServerProcess } from '../support/server-process';
import { eventCount, eventsPerStream, uploadTinyCharts } from './support/crash-support';
import { ADMIN_PASSWORD, GENEROUS_SIGN_IN_LIMITS, login, PASSWORD, purpose, usersByRole } from './support/harness';

/**
 * Disposal execution is resumable: kill -9 the server (a separate process) while it executes a
 * 200-record batch, restart on the same data directory, execute again. Every record is destroyed
 * exactly once (one `RecordDestroyed` in its stream), and the batch issues exactly one certificate
 * that lists all 200.
 */

const RECORDS = 200;
const AUTHORITY = 'State records schedule GS-12';
const ENV = { MEDREC_ADMIN_PASSWORD: ADMIN_PASSWORD, MEDREC_OCR_IN_PROCESS: 'false', ...GENEROUS_SIGN_IN_LIMITS };

describe('disposal survives a crash mid-execution', () => {
  it('kill -9 while a 200-record batch executes, restart, execute again: each record destroyed once, one certificate', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'medrec-disposal-crash-'));
    let server: ServerProcess | undefined;
    try {
      server = await startServerProcess(dataDir, ENV);
      const u = await usersByRole(server.baseUrl);

      // Each attempt: 200 fresh records, a batch over them, approved, executed, and the server
      // killed once some of them are destroyed. Should the execution finish before the watcher
      // sees it, the next attempt starts over with 200 other records (as projections-crash retries).
      let ids: string[] = [];
      let batchId: string | undefined;
      let destroyedBeforeKill = 0;
      const certificatesBefore = () => eventCount(dataDir, 'CertificateIssued');
      let certified = 0;
      for (let attempt = 0; attempt < 3 && batchId === undefined; attempt++) {
        // Old encounters of an adult: every record is long past its 10-year retention.
        ids = await uploadTinyCharts(u.clerk, RECORDS, 'disposal-crash', (i) => ({
          mrn: `DC-${i % 20}`,
          title: `Chart ${i}`,
          dateOfBirth: '1950-01-01',
          encounterDate: '2001-03-04',
        }));
        expect(new Set(ids).size).toBe(RECORDS);
        certified = certificatesBefore();
        const proposed = await u.archivist.post('/api/disposal/batches', { asOf: '2020-01-01', authority: AUTHORITY, recordIds: ids });
        expect(proposed.status).toBe(201);
        expect(proposed.body.included).toHaveLength(RECORDS);
        const id: string = proposed.body.id;
        expect((await u.archivist2.post(`/api/disposal/batches/${id}/approve`, {})).status).toBe(200);

        const before = eventCount(dataDir, 'RecordDestroyed');
        const running = server;
        let watching = true;
        let killed = false;
        const watcher = (async () => {
          while (watching) {
            const n = eventCount(dataDir, 'RecordDestroyed') - before;
            if (n > 0 && n < RECORDS) {
              running.child.kill('SIGKILL');
              killed = true;
              destroyedBeforeKill = n;
              return;
            }
            await new Promise((r) => setTimeout(r, 1));
          }
        })();
        const executed = await u.archivist.post(`/api/disposal/batches/${id}/execute`, {}).catch(() => undefined);
        watching = false;
        await watcher;
        if (killed) {
          expect(executed).toBeUndefined(); // the connection died with the server
          await running.kill9();
          batchId = id;
        } else {
          // Finished before the watcher saw it: nothing to resume. Start over on a fresh set.
          expect(executed?.status).toBe(200);
        }
      }
      expect(batchId).toBeDefined();
      expect(destroyedBeforeKill).toBeGreaterThan(0);
      expect(destroyedBeforeKill).toBeLessThan(RECORDS);
      // Nothing certified yet: the kill came before the end.
      expect(eventCount(dataDir, 'CertificateIssued')).toBe(certified);

      server = await startServerProcess(dataDir, ENV);
      const archivist = await login(server.baseUrl, 'archivist1', PASSWORD);
      const auditor = await login(server.baseUrl, 'auditor1', PASSWORD);
      const legal = await login(server.baseUrl, 'legal1', PASSWORD);
      const executed = await archivist.post(`/api/disposal/batches/${batchId}/execute`, {});
      expect(executed.status).toBe(200);
      expect([...executed.body.destroyed].sort()).toEqual([...ids].sort());
      expect(executed.body.skipped).toEqual([]);
      const certificateId: string = executed.body.certificateId;

      // Executing once more answers the same and issues nothing new.
      const again = await archivist.post(`/api/disposal/batches/${batchId}/execute`, {});
      expect(again.body).toMatchObject({ certificateId });

      // The log: exactly one RecordDestroyed in each record's stream, one certificate.
      const destroyed = eventsPerStream(dataDir, 'RecordDestroyed');
      for (const id of ids) expect(destroyed.get(`record-${id}`)).toBe(1);
      expect(eventCount(dataDir, 'CertificateIssued')).toBe(certified + 1);
      expect(eventsPerStream(dataDir, 'CertificateIssued').get(`disposal-${batchId}`)).toBe(1);
      // One outcome per record in the batch's stream (outcomes are appended a chunk at a time).
      expect(eventsPerStream(dataDir, 'DisposalRecordDestroyed').get(`disposal-${batchId}`)).toBe(RECORDS);

      const batch = await auditor.get(`/api/disposal/batches/${batchId}`, purpose('audit'));
      expect(batch.body).toMatchObject({ status: 'executed', certificateId });
      const cert = await auditor.get(`/api/disposal/certificates/${certificateId}`, purpose('audit'));
      expect(cert.status).toBe(200);
      expect(cert.body.count).toBe(RECORDS);
      const listed = (cert.body.records as Array<{ recordId: string }>).map((r) => r.recordId);
      expect(listed).toHaveLength(RECORDS);
      expect([...listed].sort()).toEqual([...ids].sort());
      const certificates = await legal.get('/api/disposal/certificates', purpose('legal'));
      expect(certificates.body.certificates.map((c: { id: string }) => c.id)).toContain(certificateId);
      for (const id of ids.slice(0, 5)) expect((await legal.get(`/api/records/${id}`, purpose('legal'))).status).toBe(410);
      // Every destruction is in the destruction ledger, the kill notwithstanding (written before each key goes).
      const ledger = readFileSync(`${dataDir}-destruction-ledger.jsonl`, 'utf8');
      const logged = new Set(
        ledger
          .split('\n')
          .filter(Boolean)
          .map((line) => (JSON.parse(line) as { recordId: string }).recordId),
      );
      expect(ids.filter((id) => !logged.has(id))).toEqual([]);
    } finally {
      await server?.stop();
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(`${dataDir}-destruction-ledger.jsonl`, { force: true });
    }
  }, 120_000);
});
