import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServerProcess, ServerProcess } from '../support/server-process';
import { scanForm, scanManifest } from './support/fixtures';
import { ADMIN_PASSWORD, login, purpose, usersByRole } from './support/harness';

/** kill -9 while OCR runs; after a restart every accepted version ends with exactly one OCR result. */
describe('OCR survives a crash', () => {
  it('kill -9 mid-OCR, restart: every version ends with OcrCompleted or OcrFailed, none twice', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'medrec-ocr-crash-'));
    const env = { MEDREC_ADMIN_PASSWORD: ADMIN_PASSWORD, MEDREC_OCR_IN_PROCESS: 'true' };
    let server: ServerProcess = await startServerProcess(dataDir, env);
    try {
      const u = await usersByRole(server.baseUrl);
      const ids: string[] = [];
      for (const scan of scanManifest()) {
        const res = await u.clerk.request('POST', '/api/records', { form: scanForm(scan) });
        expect(res.status).toBe(201);
        ids.push(res.body.id);
      }
      // Wait until OCR is under way (some done, not all), then pull the plug.
      const deadline = Date.now() + 120_000;
      for (;;) {
        const states = await Promise.all(ids.map(async (id) => (await u.clerk.get(`/api/records/${id}`, purpose('operations'))).body.versions[0].ocr.status));
        const done = states.filter((s) => s !== 'pending').length;
        if (done >= 1 && done < ids.length) break;
        if (done === ids.length || Date.now() > deadline) throw new Error(`could not catch OCR mid-way (${done}/${ids.length} done)`);
        await new Promise((r) => setTimeout(r, 100));
      }
      await server.kill9();

      server = await startServerProcess(dataDir, env);
      const clerk = await login(server.baseUrl, 'clerk1', 'correct-horse-battery');
      const auditor = await login(server.baseUrl, 'auditor1', 'correct-horse-battery');
      const until = Date.now() + 180_000;
      for (const id of ids) {
        for (;;) {
          const rec = await clerk.get(`/api/records/${id}`, purpose('operations'));
          if (rec.body.versions[0].ocr.status !== 'pending') break;
          if (Date.now() > until) throw new Error(`OCR of ${id} never finished after the restart`);
          await new Promise((r) => setTimeout(r, 250));
        }
        const events = await auditor.get(`/api/records/${id}/events`, purpose('audit'));
        const results = events.body.events.filter((e: any) => e.type === 'OcrCompleted' || e.type === 'OcrFailed');
        expect({ id, results: results.length }).toEqual({ id, results: 1 });
        expect(events.body.chain).toEqual({ valid: true });
      }
    } finally {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 400_000);
});
