import Database from '@medrec/sqlite';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chainMetadata, GENESIS } from '@medrec/crypto';
import { Writable } from 'node:stream';
import { PassThrough } from 'node:stream';
import type { CliIo } from '../../apps/cli/src/cli-io';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from '../../apps/cli/src/cli-error';
import { runCli } from '../../apps/cli/src/program';
import { approveAndDestroy, purpose, recordForm, startApp, TINY_PNG, usersByRole } from './support/harness';

/** `medrec verify` against a real data directory written by the app, before and after tampering. */

function cliIo(dataDir: string): CliIo & { out(): string; err(): string } {
  const sink = () => {
    let text = '';
    return {
      stream: new Writable({
        write(chunk, _encoding, done) {
          text += chunk.toString();
          done();
        },
      }),
      text: () => text,
    };
  };
  const stdout = sink();
  const stderr = sink();
  const stdin = new PassThrough();
  stdin.end();
  return { env: { MEDREC_DATA_DIR: dataDir }, stdin, stdout: stdout.stream, stderr: stderr.stream, out: stdout.text, err: stderr.text };
}

describe('medrec verify', () => {
  let dataDir: string;
  const ids: string[] = [];

  beforeAll(async () => {
    const app = await startApp();
    dataDir = app.dataDir;
    try {
      const u = await usersByRole(app.baseUrl);
      for (let i = 0; i < 3; i++) {
        const res = await u.clerk.request('POST', '/api/records', {
          form: recordForm({ mrn: `VF-${i}`, title: `Verify ${i}` }, Buffer.concat([TINY_PNG, Buffer.from(`v${i}`)])),
        });
        expect(res.status).toBe(201);
        ids.push(res.body.id);
      }
      const amendment = new FormData();
      amendment.append('kind', 'correction');
      amendment.append('reason', 'Rescanned');
      amendment.append('file', new Blob([Buffer.concat([TINY_PNG, Buffer.from('v0-rescan')])]), 'rescan.png');
      expect((await u.him.request('POST', `/api/records/${ids[0]}/amendments`, { form: amendment })).status).toBe(201);
      expect((await u.clinician.get(`/api/records/${ids[1]}`, { 'x-purpose-of-use': 'treatment' })).status).toBe(200);
      // Archived: its content moves to the blob store's archive location, where verify still finds it.
      expect((await u.archivist.post(`/api/records/${ids[1]}/archive`, { reason: 'Inactive' })).status).toBe(200);
      expect((await approveAndDestroy(u, ids[2])).status).toBe(200);
    } finally {
      await app.close({ keepData: true });
    }
  });

  it("passes on an intact store, checking every live version's content", async () => {
    const io = cliIo(dataDir);
    expect(await runCli(['verify', '--json'], io)).toBe(EXIT_OK);
    const report = JSON.parse(io.out());
    expect(report).toMatchObject({ valid: true, brokenChains: [], contentProblems: [], contentsChecked: 3 });
    expect(report.streams).toBeGreaterThanOrEqual(5); // users, 3 records, an access stream
    expect(existsSync(join(dataDir, 'blobs', 'archive', 'records', ids[1]))).toBe(true);
    expect(existsSync(join(dataDir, 'blobs', 'records', ids[1]))).toBe(false);
  });

  it('reports the first broken link of a tampered stream and altered content, and exits 1', async () => {
    const events = new Database(join(dataDir, 'events.db'));
    let blobKey: string;
    try {
      // Change a clear field of record 1's creation (as an insider editing the database would).
      const created = events.prepare('SELECT position, data FROM events WHERE stream = ? AND revision = 0').get(`record-${ids[1]}`) as {
        position: number;
        data: string;
      };
      const data = JSON.parse(created.data);
      data.documentType = 'other';
      events.prepare('UPDATE events SET data = ? WHERE position = ?').run(JSON.stringify(data), created.position);
      blobKey = JSON.parse((events.prepare('SELECT data FROM events WHERE stream = ? AND revision = 0').get(`record-${ids[0]}`) as { data: string }).data)
        .content.blobKey;
    } finally {
      events.close();
    }
    // Flip one byte of version 1's stored (encrypted) content of record 0.
    const file = join(dataDir, 'blobs', blobKey);
    expect(existsSync(file)).toBe(true);
    const bytes = readFileSync(file);
    bytes[bytes.length - 20] ^= 0xff;
    writeFileSync(file, bytes);

    const io = cliIo(dataDir);
    expect(await runCli(['verify'], io)).toBe(EXIT_FAILURE);
    const out = io.out();
    expect(out).toContain(`BROKEN record-${ids[1]} at revision 0`);
    expect(out).toContain('hash-mismatch');
    expect(out).toMatch(new RegExp(`BROKEN record-${ids[0]} version 1 content: (undecryptable|sha256-mismatch)`));
    expect(out).not.toContain(`record-${ids[0]} version 2`);
    expect(out).toMatch(/^FAILED: .*1 broken chain\(s\), 1 content problem\(s\), 0 certificate problem\(s\)$/m);
    expect(io.err()).toContain('not intact');
    // No PHI in the report: neither names nor titles nor MRNs.
    expect(out).not.toMatch(/Jane|Verify|VF-/);

    const chainsOnly = cliIo(dataDir);
    expect(await runCli(['verify', '--no-content', '--json'], chainsOnly)).toBe(EXIT_FAILURE);
    expect(JSON.parse(chainsOnly.out())).toMatchObject({
      contentsChecked: 0,
      contentProblems: [],
      brokenChains: [{ stream: `record-${ids[1]}`, revision: 0 }],
    });
  });

  it('refuses to run without a master key rather than generating one', async () => {
    const io = cliIo(join(dataDir, 'no-such-deployment'));
    expect(await runCli(['verify'], io)).toBe(EXIT_USAGE);
    expect(io.err()).toContain('No master key');
    expect(existsSync(join(dataDir, 'no-such-deployment', 'master.key'))).toBe(false);
  });
});

describe('medrec verify: certificates of destruction', () => {
  let dataDir: string;
  let batchId: string;
  let certificateId: string;
  const copies: string[] = [];

  beforeAll(async () => {
    const app = await startApp();
    dataDir = app.dataDir;
    try {
      const u = await usersByRole(app.baseUrl);
      const ids: string[] = [];
      for (const [i, encounterDate] of ['2000-01-10', '2001-02-10'].entries()) {
        const res = await u.clerk.request('POST', '/api/records', { form: recordForm({ mrn: `VC-${i}`, encounterDate }) });
        expect(res.status).toBe(201);
        ids.push(res.body.id);
      }
      const proposed = await u.archivist.post('/api/disposal/batches', { asOf: '2020-06-01', authority: 'Schedule GS-12', recordIds: ids });
      expect(proposed.body.included).toHaveLength(2);
      batchId = proposed.body.id;
      expect((await u.archivist2.post(`/api/disposal/batches/${batchId}/approve`, {})).status).toBe(200);
      const executed = await u.archivist.post(`/api/disposal/batches/${batchId}/execute`, {});
      expect(executed.body.destroyed).toHaveLength(2);
      certificateId = executed.body.certificateId;
      expect((await u.auditor.get(`/api/disposal/certificates/${certificateId}`, purpose('audit'))).status).toBe(200);
    } finally {
      await app.close({ keepData: true });
    }
  });

  afterAll(() => {
    for (const dir of [dataDir, ...copies]) rmSync(dir, { recursive: true, force: true });
  });

  /** A copy of the deployment to tamper with, so each case starts from the intact one. */
  function copyOfDeployment(): string {
    const copy = mkdtempSync(join(tmpdir(), 'medrec-verify-'));
    copies.push(copy);
    cpSync(dataDir, copy, { recursive: true });
    return copy;
  }

  /**
   * Alters one event of the batch stream as an insider with database access would, then re-forges
   * the stream's hash chain from its first event, so the chain alone no longer shows the change.
   */
  function tamperBatchStream(dir: string, type: string, change: (data: Record<string, unknown>) => void): void {
    const db = new Database(join(dir, 'events.db'));
    try {
      const rows = db.prepare('SELECT position, type, data, metadata FROM events WHERE stream = ? ORDER BY revision').all(`disposal-${batchId}`) as Array<{
        position: number;
        type: string;
        data: string;
        metadata: string;
      }>;
      const target = rows.find((r) => r.type === type);
      expect(target).toBeDefined();
      let prevHash = GENESIS;
      for (const row of rows) {
        const data = JSON.parse(row.data) as Record<string, unknown>;
        if (row === target) change(data);
        const metadata = chainMetadata(prevHash, { type: row.type, data, metadata: JSON.parse(row.metadata) as Record<string, unknown> });
        db.prepare('UPDATE events SET data = ?, metadata = ? WHERE position = ?').run(JSON.stringify(data), JSON.stringify(metadata), row.position);
        prevHash = metadata.hash;
      }
    } finally {
      db.close();
    }
  }

  it('re-derives every issued certificate from its batch and passes when it matches its CertificateIssued', async () => {
    const io = cliIo(dataDir);
    expect(await runCli(['verify', '--json'], io)).toBe(EXIT_OK);
    expect(JSON.parse(io.out())).toMatchObject({ valid: true, certificatesChecked: 1, certificateProblems: [], brokenChains: [] });
  });

  it('reports a certificate whose facts were altered after it was issued, even with the hash chain re-forged, and exits 1', async () => {
    const dir = copyOfDeployment();
    // A destroyed record's date range as the certificate lists it (a clear field of DisposalRecordPrepared).
    tamperBatchStream(dir, 'DisposalRecordPrepared', (data) => {
      data.from = '1990-01-01';
    });
    const io = cliIo(dir);
    expect(await runCli(['verify'], io)).toBe(EXIT_FAILURE);
    expect(io.out()).toContain(`BROKEN disposal-${batchId} certificate ${certificateId}: sha256-mismatch`);
    expect(io.out()).toMatch(/^FAILED: .* 1 certificate\(s\) checked; 0 broken chain\(s\), 0 content problem\(s\), 1 certificate problem\(s\)$/m);
    expect(io.out()).not.toMatch(/VC-/);
  });

  it('reports a certificate whose recorded SHA-256 was replaced', async () => {
    const dir = copyOfDeployment();
    tamperBatchStream(dir, 'CertificateIssued', (data) => {
      data.sha256 = '0'.repeat(64);
    });
    const io = cliIo(dir);
    expect(await runCli(['verify', '--no-content', '--json'], io)).toBe(EXIT_FAILURE);
    expect(JSON.parse(io.out())).toMatchObject({
      valid: false,
      brokenChains: [],
      certificateProblems: [{ stream: `disposal-${batchId}`, certificateId, reason: 'sha256-mismatch' }],
    });
  });
});
