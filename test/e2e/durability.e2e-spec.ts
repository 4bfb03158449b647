import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN_PASSWORD, Client, login, recordForm, startApp, TINY_PNG, usersByRole } from './support/harness';
import { startServerProcess } from '../support/server-process';

describe('durability', () => {
  it('stop and start the app: records, users, events and tokens are all still there', async () => {
    const first = await startApp();
    const u = await usersByRole(first.baseUrl);
    const created = await u.clerk.request('POST', '/api/records', { form: recordForm() });
    const hold = await u.legal.post(`/api/records/${created.body.id}/holds`, { matter: 'Matter 7', reason: 'Preserve' });
    expect(hold.status).toBe(201);
    const before = await u.legal.get(`/api/records/${created.body.id}/events`, { 'x-purpose-of-use': 'legal' });
    await first.close({ keepData: true });

    // What a process killed mid-upload leaves in the spool: an old file is removed at start, a fresh one (another process's upload) kept.
    const spool = join(first.dataDir, 'tmp', 'uploads');
    writeFileSync(join(spool, 'left-by-a-crash'), TINY_PNG);
    utimesSync(join(spool, 'left-by-a-crash'), new Date(Date.now() - 3600_000), new Date(Date.now() - 3600_000));
    writeFileSync(join(spool, 'being-received'), TINY_PNG);
    const second = await startApp(first.dataDir);
    try {
      expect(readdirSync(spool)).toEqual(['being-received']);
      // A token issued before the restart still works (the signing secret persists), and so do the passwords.
      const legal = new Client(second.baseUrl, (u.legal as any).token);
      const rec = await legal.get(`/api/records/${created.body.id}`, { 'x-purpose-of-use': 'legal' });
      expect(rec.status).toBe(200);
      expect(rec.body).toMatchObject({ patientName: 'Jane Example', holds: [{ holdId: hold.body.holdId, matter: 'Matter 7' }] });
      const content = await legal.get(`/api/records/${created.body.id}/versions/1/content`, { 'x-purpose-of-use': 'legal' });
      expect(content.raw.equals(TINY_PNG)).toBe(true);
      await login(second.baseUrl, 'clerk1', 'correct-horse-battery');
      await login(second.baseUrl, 'admin', ADMIN_PASSWORD);
      const after = await legal.get(`/api/records/${created.body.id}/events`, { 'x-purpose-of-use': 'legal' });
      expect(after.body.events.slice(0, before.body.events.length)).toEqual(before.body.events);
      expect(after.body.chain).toEqual({ valid: true });
    } finally {
      await second.close();
    }
  });

  it('kill -9 while 200 appends are in flight: every acknowledged append is there after restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'medrec-kill9-'));
    let server = await startServerProcess(dataDir, { MEDREC_ADMIN_PASSWORD: ADMIN_PASSWORD });
    try {
      const u = await usersByRole(server.baseUrl);
      const acknowledged: Array<{ id: string; sha256: string }> = [];
      let killed = false;
      const killAfter = 60;
      const attempts = Array.from({ length: 200 }, async (_, i) => {
        const file = Buffer.concat([TINY_PNG, Buffer.from(`upload-${i}`)]);
        try {
          const res = await u.clerk.request('POST', '/api/records', { form: recordForm({ title: `Scan ${i}` }, file) });
          if (res.status === 201) {
            acknowledged.push({ id: res.body.id, sha256: res.body.sha256 });
            if (acknowledged.length === killAfter && !killed) {
              killed = true;
              await server.kill9();
            }
          }
        } catch {
          /* the connection died with the server: not acknowledged */
        }
      });
      await Promise.all(attempts);
      expect(killed).toBe(true);
      expect(acknowledged.length).toBeGreaterThanOrEqual(killAfter);

      server = await startServerProcess(dataDir, { MEDREC_ADMIN_PASSWORD: ADMIN_PASSWORD });
      const clerk = await login(server.baseUrl, 'clerk1', 'correct-horse-battery');
      for (const { id, sha256 } of acknowledged) {
        const rec = await clerk.get(`/api/records/${id}`, { 'x-purpose-of-use': 'operations' });
        expect(rec.status).toBe(200);
        expect(rec.body.versions[0].sha256).toBe(sha256);
        const content = await clerk.get(`/api/records/${id}/versions/1/content`, { 'x-purpose-of-use': 'operations' });
        expect(content.status).toBe(200);
      }
    } finally {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
