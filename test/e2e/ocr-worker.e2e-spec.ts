import { NestFactory } from '@nestjs/core';
import { minimalPdf } from '@medrec/ingest/rasterize/testing/minimal-pdf';
import { ProjectionRunner } from '@medrec/read-models';
import { loadConfig } from '@medrec/platform';
import { WorkerModule } from '../../apps/worker/src/worker.module';
import { purpose, recordForm, startApp, usersByRole } from './support/harness';

describe('the OCR worker app', () => {
  it('does the OCR of an API that does none, keeping only the read model of pending jobs', async () => {
    const api = await startApp(); // OCR off in the API process
    const worker = await NestFactory.createApplicationContext(WorkerModule.forRoot(loadConfig({ MEDREC_DATA_DIR: api.dataDir })), { logger: false });
    try {
      await worker.init();
      const u = await usersByRole(api.baseUrl);
      const pdf = minimalPdf([{ widthPt: 612, heightPt: 792, lines: ['Progress note of a fictional patient.'] }]);
      const created = await u.clerk.request('POST', '/api/records', { form: recordForm({}, pdf, 'note.pdf') });
      expect(created.status).toBe(201);
      const deadline = Date.now() + 30_000;
      let status = 'pending';
      while (status === 'pending' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        status = (await u.clerk.get(`/api/records/${created.body.id}`, purpose('operations'))).body.versions[0].ocr.status;
      }
      expect(status).toBe('done');
      // No search index or history views in the worker: no decrypted PHI of its own.
      expect((await worker.get(ProjectionRunner).status()).map((s) => s.name)).toEqual(['ocr-jobs']);
    } finally {
      await worker.close();
      await api.close();
    }
  });
});
