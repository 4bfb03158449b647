import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DocumentRecognizer } from '@medrec/ingest/jobs/document-recognizer';
import { OcrJobRunner } from '@medrec/ingest/jobs/ocr-job-runner';
import { characterErrorRate } from '@medrec/ingest/quality/cer';
import { BAD_INPUTS, badInputExpectations, fileForm, ScanFixture, SCANS, scanForm, scanManifest } from './support/fixtures';
import { Client, purpose, startApp, TestApp, usersByRole } from './support/harness';

/** Thresholds set from measurement (see the ingestion issue note): mean and worst CER over the shared scans. */
const MAX_MEAN_CER = 0.005;
const MAX_DOCUMENT_CER = 0.03;

async function waitForOcr(client: Client, id: string, version: number, timeoutMs = 120_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await client.get(`/api/records/${id}`, purpose('operations'));
    const v = res.body.versions?.find((x: any) => x.version === version);
    if (v && v.ocr.status !== 'pending') return v;
    if (Date.now() > deadline) throw new Error(`OCR of ${id} v${version} still pending after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('scan ingestion over HTTP', () => {
  let t: TestApp;
  let u: Awaited<ReturnType<typeof usersByRole>>;
  /** The shared scans as uploaded by the first test (OCR done), for the search test after it. */
  const uploaded: Array<{ scan: ScanFixture; id: string; ocrText: string }> = [];

  /** Every document recognition the in-process OCR runner starts. */
  let recognitions: jest.SpyInstance;

  beforeAll(async () => {
    t = await startApp(undefined, { MEDREC_OCR_IN_PROCESS: 'true' });
    u = await usersByRole(t.baseUrl);
    recognitions = jest.spyOn(t.app.get<OcrJobRunner, { recognizer: DocumentRecognizer }>(OcrJobRunner).recognizer, 'recognize');
  });
  afterAll(() => t.close());

  /** Polls, with a deadline, until the ocr-jobs read model is at the log's head and the OCR runner is idle. */
  async function ocrSettled(timeoutMs = 30_000): Promise<void> {
    const client = new Client(t.baseUrl);
    const head = (await client.get('/health/ready')).body.position as number;
    const runner = t.app.get<OcrJobRunner, { inProgress: Map<string, unknown> }>(OcrJobRunner);
    for (const deadline = Date.now() + timeoutMs; ;) {
      const { projections } = (await client.get('/health/ready')).body as { projections: Array<{ name: string; position: number }> };
      const ocrJobs = projections.find((p) => p.name === 'ocr-jobs');
      if (ocrJobs && ocrJobs.position >= head && runner.inProgress.size === 0) return;
      if (Date.now() > deadline) throw new Error(`OCR not settled after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('ingests every shared scan and OCRs it within the measured error rate', async () => {
    const manifest = scanManifest();
    const created: Array<{ scan: (typeof manifest)[number]; id: string }> = [];
    for (const scan of manifest) {
      const res = await u.clerk.request('POST', '/api/records', { form: scanForm(scan) });
      expect(res.status).toBe(201);
      expect(res.body.pages).toBe(scan.pages);
      created.push({ scan, id: res.body.id });
    }
    const rates: Array<{ file: string; cer: number }> = [];
    for (const { scan, id } of created) {
      const version = await waitForOcr(u.clerk, id, 1);
      expect(version.ocr.status).toBe('done');
      const text = await u.clerk.get(`/api/records/${id}/versions/1/text`, purpose('operations'));
      expect(text.status).toBe(200);
      expect(text.body.pages).toHaveLength(scan.pages);
      const ocr = text.body.pages.map((p: any) => p.text).join('\n');
      const truth = readFileSync(join(SCANS, scan.text), 'utf8');
      rates.push({ file: scan.file, cer: characterErrorRate(truth, ocr) });
      uploaded.push({ scan, id, ocrText: ocr });
    }
    // Each version recognised exactly once (a lagging projection once had every job run twice).
    // Counted once no recognition can start any more: the ocr-jobs projection has applied every
    // OCR result (so it lists no job as pending) and the runner has none in progress.
    await ocrSettled();
    expect(recognitions).toHaveBeenCalledTimes(manifest.length);
    const mean = rates.reduce((s, r) => s + r.cer, 0) / rates.length;
    const worst = rates.reduce((a, b) => (b.cer > a.cer ? b : a));
    // Printed so a failure shows which document regressed.
    console.log(JSON.stringify({ meanCer: +mean.toFixed(5), worst }));
    expect(mean).toBeLessThanOrEqual(MAX_MEAN_CER);
    expect(worst.cer).toBeLessThanOrEqual(MAX_DOCUMENT_CER);
  }, 240_000);

  it('search finds each scan by a phrase of its ground truth, by its MRN and by its patient name', async () => {
    expect(uploaded).toHaveLength(scanManifest().length);
    // Tokens as the index sees them (letters and digits); a phrase is three adjacent ones.
    const words = (text: string) => text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
    const truths = uploaded.map(({ scan }) => readFileSync(join(SCANS, scan.text), 'utf8'));
    // Read-your-writes: every OcrCompleted so far is in the log below this position.
    const head = (await u.clinician.get('/health/ready')).body.position;
    const search = async (query: string) => {
      const res = await u.clinician.get(`/api/search?${query}&limit=100&after=${head}`, purpose('treatment'));
      expect(res.status).toBe(200);
      return res.body.results as Array<{ recordId: string; page: number | null; snippet: string }>;
    };
    for (const [i, { scan, id, ocrText }] of uploaded.entries()) {
      // A three-word phrase of this document's ground truth that no other document has (and that
      // OCR read right: the error rate is the test above's business).
      const ocr = ` ${words(ocrText).join(' ')} `;
      // ...nor any record's title or patient name (scanForm's titles name the files).
      const others = [
        ...truths.filter((_, j) => j !== i),
        ...uploaded.map((x) => `${x.scan.type.replace(/-/g, ' ')} (${x.scan.file})\n${x.scan.patient}\n${x.scan.mrn}`),
      ].map((t) => ` ${words(t).join(' ')} `);
      const w = words(truths[i]);
      let phrase: string | undefined;
      for (let k = 0; k + 3 <= w.length && !phrase; k++) {
        const window = w.slice(k, k + 3);
        if (!window.every((x) => /^[a-z]{3,}$/.test(x))) continue;
        const candidate = window.join(' ');
        if (ocr.includes(` ${candidate} `) && !others.some((o) => o.includes(` ${candidate} `))) phrase = candidate;
      }
      expect({ file: scan.file, phrase: typeof phrase }).toEqual({ file: scan.file, phrase: 'string' });
      const byPhrase = await search(`q=${encodeURIComponent(`"${phrase}"`)}`);
      expect({ file: scan.file, phrase, found: [...new Set(byPhrase.map((r) => r.recordId))] }).toEqual({ file: scan.file, phrase, found: [id] });
      expect(byPhrase[0].page).toEqual(expect.any(Number));
      expect(byPhrase[0].snippet).toContain('<mark>');

      const byMrn = await search(`q=${encodeURIComponent(scan.mrn)}`);
      expect({ file: scan.file, found: byMrn.some((r) => r.recordId === id && r.page === null) }).toEqual({ file: scan.file, found: true });
      const byName = await search(`q=${encodeURIComponent(scan.patient)}`);
      expect({ file: scan.file, found: byName.some((r) => r.recordId === id && r.page === null) }).toEqual({ file: scan.file, found: true });
      const filtered = await search(`mrn=${encodeURIComponent(scan.mrn)}&documentType=${scan.type}`);
      expect(filtered.map((r) => r.recordId)).toContain(id);
    }
  });

  it('handles every hostile upload as expectations.json says, and stays up with bounded memory', async () => {
    const rssBefore = process.memoryUsage().rss;
    for (const [file, expectation] of Object.entries(badInputExpectations())) {
      const res = await u.clerk.request('POST', '/api/records', { form: fileForm(join(BAD_INPUTS, file), file, { title: `Upload ${file}` }) });
      if (expectation.expect === 'accept') {
        expect({ file, status: res.status }).toEqual({ file, status: 201 });
      } else {
        expect({ file, refused: [413, 415, 422].includes(res.status), type: res.contentType.split(';')[0] }).toEqual({
          file,
          refused: true,
          type: 'application/problem+json',
        });
        expect(res.body.detail).toEqual(expect.any(String));
      }
    }
    expect((await new Client(t.baseUrl).get('/health/ready')).status).toBe(200);
    // The 60000x60000 PNG would need 3.6 GB decoded: the server never decoded it.
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(150 * 1024 * 1024);
  }, 120_000);

  it('takes a born-digital PDF’s text from its text layer', async () => {
    const res = await u.clerk.request('POST', '/api/records', {
      form: fileForm(join(BAD_INPUTS, 'born-digital-letter.pdf'), 'letter.pdf', { mrn: 'MRN-77001', title: 'Letter' }),
    });
    expect(res.status).toBe(201);
    await waitForOcr(u.clerk, res.body.id, 1);
    const text = await u.clerk.get(`/api/records/${res.body.id}/versions/1/text`, purpose('operations'));
    expect(text.body.pages[0].source).toBe('text-layer');
    expect(text.body.pages[0].text.length).toBeGreaterThan(20);
  }, 60_000);

  it('refuses an identical file for the same patient with the existing record id, unless allowDuplicate=true', async () => {
    const scan = scanManifest()[0];
    const first = await u.clerk.request('POST', '/api/records', { form: scanForm({ ...scan, mrn: 'MRN-99001' }) });
    expect(first.status).toBe(201);
    const again = await u.clerk.request('POST', '/api/records', { form: scanForm({ ...scan, mrn: 'MRN-99001' }) });
    expect(again.status).toBe(409);
    expect(again.body.existingRecordId).toBe(first.body.id);
    const other = await u.clerk.request('POST', '/api/records', { form: scanForm({ ...scan, mrn: 'MRN-99002' }) });
    expect(other.status).toBe(201);
    const forced = await u.clerk.request('POST', '/api/records', { form: scanForm({ ...scan, mrn: 'MRN-99001' }, { allowDuplicate: 'true' }) });
    expect(forced.status).toBe(201);
    expect(forced.body.duplicateOf).toBe(first.body.id);
  });

  it('an amendment with a new file creates version 2 with its own OCR; version 1 and its text unchanged', async () => {
    const [a, b] = scanManifest().filter((s) => s.pages === 1);
    const created = await u.clerk.request('POST', '/api/records', { form: scanForm({ ...a, mrn: 'MRN-88001' }) });
    await waitForOcr(u.him, created.body.id, 1);
    const textV1 = (await u.him.get(`/api/records/${created.body.id}/versions/1/text`, purpose('operations'))).body;

    const form = new FormData();
    form.append('kind', 'correction');
    form.append('reason', 'Wrong page scanned; replaced');
    form.append('file', new Blob([readFileSync(join(SCANS, b.file))]), b.file);
    const amended = await u.him.request('POST', `/api/records/${created.body.id}/amendments`, { form });
    expect(amended.status).toBe(201);
    expect(amended.body.version).toBe(2);
    const v2 = await waitForOcr(u.him, created.body.id, 2);
    expect(v2.ocr.status).toBe('done');

    const textV2 = (await u.him.get(`/api/records/${created.body.id}/versions/2/text`, purpose('operations'))).body;
    expect(characterErrorRate(readFileSync(join(SCANS, b.text), 'utf8'), textV2.pages.map((p: any) => p.text).join('\n'))).toBeLessThan(MAX_DOCUMENT_CER);
    expect((await u.him.get(`/api/records/${created.body.id}/versions/1/text`, purpose('operations'))).body).toEqual(textV1);
    const content1 = await u.him.get(`/api/records/${created.body.id}/versions/1/content`, purpose('operations'));
    expect(content1.raw.equals(readFileSync(join(SCANS, a.file)))).toBe(true);
  }, 120_000);
});
