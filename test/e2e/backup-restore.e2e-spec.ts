import Database from '@medrec/sqlite';
import { copyFileSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT_OK } from '../../apps/cli/src/cli-error';
import { takeBackup } from '../../apps/cli/src/backup/take-backup';
import { runCli } from '../../apps/cli/src/program';
import { loadConfig } from '@medrec/platform/config/app-config';
import { testIo } from '../../apps/cli/src/testing/test-io';
import { startServerProcess, ServerProcess } from '../support/server-process';
import { readEventStore } from './support/crash-support';
import {
  ADMIN_PASSWORD,
  approveAndDestroy,
  Client,
  GENEROUS_SIGN_IN_LIMITS,
  login,
  PASSWORD,
  purpose,
  recordForm,
  TINY_PNG,
  usersByRole,
} from './support/harness';

/**
 * Backup while uploads run, wipe, restore: the server runs as a process of its own and keeps taking
 * uploads while `medrec backup` copies its data directory. A record destroyed after the backup stays
 * destroyed after the restore (the destruction ledger, kept beside the data directory, is
 * re-applied), and a backup altered after it was written is refused.
 */

const ENV = { MEDREC_ADMIN_PASSWORD: ADMIN_PASSWORD, MEDREC_OCR_IN_PROCESS: 'false', ...GENEROUS_SIGN_IN_LIMITS };
const AUTHORITY = 'Schedule GS-12';

interface EventRow {
  position: number;
  id: string;
  stream: string;
  revision: number;
  type: string;
  data: string;
  metadata: string;
}

const keyIds = (file: string, table: 'data_keys' | 'destroyed_keys'): string[] => {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare(`SELECT key_id FROM ${table} ORDER BY key_id`).all() as Array<{ key_id: string }>).map((r) => r.key_id);
  } finally {
    db.close();
  }
};

describe('backup while uploads run, wipe, restore', () => {
  it('brings back every record, version, event, key and certificate of the backup; a record destroyed after it stays destroyed', async () => {
    const root = mkdtempSync(join(tmpdir(), 'medrec-backup-e2e-'));
    const dataDir = join(root, 'data');
    const backupDir = join(root, 'backup');
    const keptKey = join(root, 'kept-master.key');
    const cli = (...argv: string[]) => {
      const io = testIo({ MEDREC_DATA_DIR: dataDir });
      return runCli(argv, io).then((code) => ({ code, out: io.out(), err: io.err() }));
    };
    let server: ServerProcess | undefined;
    try {
      server = await startServerProcess(dataDir, ENV);
      const u = await usersByRole(server.baseUrl);
      const upload = async (client: Client, label: string, fields: Record<string, string> = {}): Promise<string> => {
        const res = await client.request('POST', '/api/records', {
          form: recordForm({ mrn: label, ...fields }, Buffer.concat([TINY_PNG, Buffer.from(label)])),
        });
        if (res.status !== 201) throw new Error(`upload ${label}: ${res.status} ${JSON.stringify(res.body)}`);
        return res.body.id;
      };

      // Before the backup: records (one with a second version), one destroyed, one disposal batch with its certificate.
      const before: string[] = [];
      for (let i = 0; i < 12; i++) before.push(await upload(u.clerk, `BK-${i}`));
      const amend = new FormData();
      amend.append('kind', 'addendum');
      amend.append('reason', 'Late note');
      amend.append('file', new Blob([Buffer.concat([TINY_PNG, Buffer.from('addendum')])], { type: 'image/png' }), 'addendum.png');
      expect((await u.him.request('POST', `/api/records/${before[0]}/amendments`, { form: amend })).status).toBe(201);
      expect((await approveAndDestroy(u, before[1], AUTHORITY)).status).toBe(200);
      // Old encounters of an adult: long past their retention.
      const oldFields = { dateOfBirth: '1950-01-01', encounterDate: '2001-03-04' };
      const old = [await upload(u.clerk, 'BK-OLD-1', oldFields), await upload(u.clerk, 'BK-OLD-2', oldFields)];
      const proposed = await u.archivist.post('/api/disposal/batches', { asOf: '2020-01-01', authority: AUTHORITY, recordIds: old });
      expect(proposed.status).toBe(201);
      expect((await u.archivist2.post(`/api/disposal/batches/${proposed.body.id}/approve`, {})).status).toBe(200);
      const executed = await u.archivist.post(`/api/disposal/batches/${proposed.body.id}/execute`, {});
      expect(executed.status).toBe(200);
      const certificateId: string = executed.body.certificateId;
      const certificate = await u.archivist.get(`/api/disposal/certificates/${certificateId}`, purpose('operations'));
      expect(certificate.status).toBe(200);

      // Uploads run throughout the backup, four at a time; each one's acknowledgement time is kept.
      const acknowledged: Array<{ id: string; at: number }> = [];
      let uploading = true;
      let n = 0;
      const uploaders = Array.from({ length: 4 }, async () => {
        while (uploading) {
          const id = await upload(u.clerk, `UP-${n++}`);
          acknowledged.push({ id, at: performance.now() });
        }
      });
      while (acknowledged.length < 8) await new Promise((r) => setTimeout(r, 10));
      const backupStarted = performance.now();
      // Between its steps the backup waits for two more uploads: some land after the events'
      // snapshot, with their keys and blobs written before the keys and blobs are copied.
      const twoMoreUploads = async () => {
        const seen = acknowledged.length;
        while (acknowledged.length < seen + 2) await new Promise((r) => setTimeout(r, 5));
      };
      const backedUp = await takeBackup(loadConfig({ MEDREC_DATA_DIR: dataDir }), backupDir, { excludeMasterKey: true, onStep: twoMoreUploads });
      const backupEnded = performance.now();
      while (acknowledged.filter((a) => a.at > backupEnded).length < 4) await new Promise((r) => setTimeout(r, 10));
      uploading = false;
      await Promise.all(uploaders);
      expect(backedUp.warnings).toEqual([]);
      const manifest = JSON.parse(readFileSync(join(backupDir, 'manifest.json'), 'utf8'));
      expect(manifest).toEqual(backedUp.manifest);
      const head: number = manifest.eventStore.headPosition;
      // No secret of the live server: neither the master key (kept apart here) nor the token secret.
      expect(manifest.files.map((f: { path: string }) => f.path)).not.toContain('master.key');
      expect(manifest.files.map((f: { path: string }) => f.path)).not.toContain('token.secret');
      const acknowledgedBefore = acknowledged.filter((a) => a.at < backupStarted).map((a) => a.id);
      const duringOrAfter = acknowledged.filter((a) => a.at >= backupStarted).map((a) => a.id);
      expect(duringOrAfter.length).toBeGreaterThan(4);

      // After the backup: a record of the backup destroyed (the ledger has it).
      const destroyedAfter = before[2];
      expect((await approveAndDestroy(u, destroyedAfter, AUTHORITY)).status).toBe(200);
      const ledger = readFileSync(`${dataDir}-destruction-ledger.jsonl`, 'utf8');
      expect(ledger).toContain(destroyedAfter);
      expect(ledger).not.toContain('BK-'); // ids, names and times only: never an MRN

      // While the server runs, a second server on its directory and a restore (even with --force) are refused, and change nothing.
      copyFileSync(join(dataDir, 'master.key'), keptKey);
      const eventsBefore = readEventStore<{ n: number }>(dataDir, 'SELECT COUNT(*) AS n FROM events')[0].n;
      const busy = await cli('restore', backupDir, '--force', '--master-key-file', keptKey);
      expect(busy.code).not.toBe(EXIT_OK);
      expect(busy.err).toContain(
        `The data directory ${dataDir} is in use by a running medrec server or OCR worker: stop every process using it first. Nothing was restored.`,
      );
      await expect(startServerProcess(dataDir, ENV)).rejects.toThrow(`The data directory ${dataDir} is in use by another medrec server`);
      expect(readEventStore<{ n: number }>(dataDir, 'SELECT COUNT(*) AS n FROM events')[0].n).toBe(eventsBefore);
      expect((await fetch(`${server.baseUrl}/health/ready`)).status).toBe(200);

      await server.stop();
      server = undefined;
      const original = readEventStore<EventRow>(
        dataDir,
        'SELECT position, id, stream, revision, type, data, metadata FROM events WHERE position <= ? ORDER BY position',
        head,
      );
      rmSync(dataDir, { recursive: true, force: true });

      // A backup altered after it was written is refused before anything is written.
      const tampered = join(root, 'tampered');
      cpSync(backupDir, tampered, { recursive: true });
      const blob = manifest.files.find((f: { path: string }) => f.path.startsWith('blobs/')).path as string;
      const bytes = readFileSync(join(tampered, blob));
      bytes[bytes.length - 1] ^= 1;
      writeFileSync(join(tampered, blob), bytes);
      const refused = await cli('restore', tampered, '--master-key-file', keptKey);
      expect(refused.code).not.toBe(EXIT_OK);
      expect(refused.err).toContain(`${blob} does not match its SHA-256`);
      expect(existsSync(dataDir) ? readdirSync(dataDir) : []).toEqual([]);

      const restored = await cli('restore', backupDir, '--master-key-file', keptKey);
      expect(restored.code).toBe(EXIT_OK);
      expect(restored.out).toContain(`destroyed again: ${destroyedAfter}`);
      const verified = await cli('verify');
      expect(verified.out).toMatch(/^OK: /m);
      expect(verified.code).toBe(EXIT_OK);

      // Every event up to the backup's head is back, unchanged; after it, only the re-applied destruction.
      const restoredEvents = readEventStore<EventRow>(dataDir, 'SELECT position, id, stream, revision, type, data, metadata FROM events ORDER BY position');
      expect(restoredEvents.slice(0, original.length)).toEqual(original);
      expect(restoredEvents.slice(original.length).map((e) => [e.stream, e.type])).toEqual([[`record-${destroyedAfter}`, 'RecordDestroyed']]);
      // Every key of the backup, but the one destroyed after it.
      expect(keyIds(join(dataDir, 'keys.db'), 'data_keys')).toEqual(keyIds(join(backupDir, 'keys.db'), 'data_keys').filter((k) => k !== destroyedAfter));
      expect(keyIds(join(dataDir, 'keys.db'), 'destroyed_keys')).toContain(destroyedAfter);
      expect(existsSync(join(dataDir, 'blobs', 'records', destroyedAfter))).toBe(false);

      server = await startServerProcess(dataDir, ENV);
      // The users are back (their streams are events of the backup) and sign in again (a new token secret).
      const clerk = await login(server.baseUrl, 'clerk1', PASSWORD);
      const archivist = await login(server.baseUrl, 'archivist1', PASSWORD);
      const inBackup = new Set(original.filter((e) => e.type === 'RecordCreated').map((e) => e.stream.slice('record-'.length)));
      // Every upload acknowledged before the backup started is in it; those during it wholly in or wholly out.
      for (const id of acknowledgedBefore) expect(inBackup.has(id)).toBe(true);
      expect(duringOrAfter.filter((id) => !inBackup.has(id)).length).toBeGreaterThanOrEqual(6);
      const backedUpRecords = new Set(readdirSync(join(backupDir, 'blobs', 'records')));
      for (const id of backedUpRecords) expect(inBackup.has(id)).toBe(true);
      for (const id of [
        ...before.filter((id) => id !== before[1] && id !== destroyedAfter),
        ...acknowledgedBefore,
        ...duringOrAfter.filter((id) => inBackup.has(id)),
      ]) {
        const record = await clerk.get(`/api/records/${id}`, purpose('operations'));
        expect(record.status).toBe(200);
        const versions = record.body.versions as Array<{ version: number }>;
        for (const { version } of versions) expect((await clerk.get(`/api/records/${id}/versions/${version}/content`, purpose('operations'))).status).toBe(200);
      }
      expect(((await clerk.get(`/api/records/${before[0]}`, purpose('operations'))).body.versions as unknown[]).length).toBe(2);
      for (const id of duringOrAfter.filter((id) => !inBackup.has(id))) expect((await clerk.get(`/api/records/${id}`, purpose('operations'))).status).toBe(404);
      for (const id of [before[1], ...old, destroyedAfter]) expect((await clerk.get(`/api/records/${id}`, purpose('operations'))).status).toBe(410);
      const certificateAgain = await archivist.get(`/api/disposal/certificates/${certificateId}`, purpose('operations'));
      expect(certificateAgain.status).toBe(200);
      expect(certificateAgain.body).toEqual(certificate.body);
    } finally {
      await server?.stop();
      rmSync(root, { recursive: true, force: true });
    }
  }, 90_000);
});
