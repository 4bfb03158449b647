import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { DocumentContentType } from '@medrec/ingest/inspect/document-content-type';
import { rasterizeDocument } from '@medrec/ingest/rasterize/rasterize-document';
import { headPosition } from './support/configured-app';
import { BAD_INPUTS, fileForm, SCANS, scanForm, scanManifest } from './support/fixtures';
import { approveAndDestroy, Client, purpose, recordForm, Response, startApp, TestApp, usersByRole } from './support/harness';

/**
 * GET /api/records/:id/versions/:v/pages/:p/image: the page as OCR rasterizes it, so that the word
 * boxes of GET .../text (in that page's pixels) fall on the image's words. OCR runs in process.
 */

interface Word {
  text: string;
  bbox: { x0: number; y0: number; x1: number; y1: number };
}
interface Uploaded {
  file: string;
  path: string;
  contentType: DocumentContentType;
  pages: number;
  /** The ground truth, when the fixture has one. */
  truth?: string;
  id: string;
}

let t: TestApp;
let u: Awaited<ReturnType<typeof usersByRole>>;
const uploaded: Record<string, Uploaded> = {};

const imagePath = (id: string, version: number | string, page: number | string) => `/api/records/${id}/versions/${version}/pages/${page}/image`;

async function waitForOcr(client: Client, id: string, timeoutMs = 180_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; ;) {
    // The status route reads no patient data and is not audited: the access log stays the test's.
    const res = await client.get(`/api/records/${id}/status`);
    const status = res.body.versions?.[0]?.ocr?.status;
    if (status === 'done') return;
    if (status === 'failed' || Date.now() > deadline) throw new Error(`OCR of ${id}: ${status}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The pages as the OCR path rasterizes them (PNG, to compare pixels). */
async function ocrRasters(path: string, contentType: DocumentContentType) {
  const pages = [];
  for await (const page of rasterizeDocument(path, contentType, { encoding: 'png' })) pages.push(page);
  return pages;
}

const grayPixels = (png: Buffer) => sharp(png).extractChannel(0).raw().toBuffer();

/** The content accesses of the record, as the auditor sees them in its events. */
async function contentAccesses(id: string): Promise<Array<Record<string, unknown>>> {
  const res = await u.auditor.get(`/api/records/${id}/events`, purpose('audit'));
  expect(res.status).toBe(200);
  return res.body.events.filter((e: any) => e.type === 'RecordAccessed' && e.data.what === 'content').map((e: any) => e.data);
}

async function appendsNothing(run: () => Promise<Response>): Promise<Response> {
  const before = await headPosition(t.baseUrl);
  const res = await run();
  expect(await headPosition(t.baseUrl)).toBe(before);
  return res;
}

function expectProblem(res: Response, status: number): void {
  expect(res.status).toBe(status);
  expect(res.contentType).toContain('application/problem+json');
  expect(res.body).toMatchObject({ status, detail: expect.any(String) });
}

beforeAll(async () => {
  t = await startApp(undefined, { MEDREC_OCR_IN_PROCESS: 'true' });
  u = await usersByRole(t.baseUrl);
  const scans: Array<[string, DocumentContentType]> = [
    ['mrn-00482913-radiology-report.png', 'image/png'],
    ['mrn-00482913-discharge-summary.tif', 'image/tiff'],
    ['mrn-00600218-lab-report.pdf', 'application/pdf'],
  ];
  const manifest = scanManifest();
  for (const [file, contentType] of scans) {
    const scan = manifest.find((s) => s.file === file)!;
    const res = await u.clerk.request('POST', '/api/records', { form: scanForm(scan) });
    expect(res.status).toBe(201);
    uploaded[file] = { file, path: join(SCANS, file), contentType, pages: scan.pages, truth: readFileSync(join(SCANS, scan.text), 'utf8'), id: res.body.id };
  }
  // A born-digital PDF: its page has a text layer, which OCR takes as text and never renders.
  const letter = 'born-digital-letter.pdf';
  const res = await u.clerk.request('POST', '/api/records', { form: fileForm(join(BAD_INPUTS, letter), letter, { title: 'Referral letter' }) });
  expect(res.status).toBe(201);
  uploaded[letter] = { file: letter, path: join(BAD_INPUTS, letter), contentType: 'application/pdf', pages: 1, id: res.body.id };
  for (const { id } of Object.values(uploaded)) await waitForOcr(u.clerk, id);
}, 240_000);
afterAll(() => t?.close());

describe('page images', () => {
  it.each(['mrn-00482913-radiology-report.png', 'mrn-00482913-discharge-summary.tif', 'mrn-00600218-lab-report.pdf'])(
    '%s: each page is the PNG OCR read, pixel for pixel, and its OCR word boxes (a word of the ground truth among them) fall on its ink',
    async (file) => {
      const { id, path, contentType, pages, truth } = uploaded[file];
      const text = await u.clerk.get(`/api/records/${id}/versions/1/text`, purpose('operations'));
      expect(text.status).toBe(200);
      expect(text.body.pages).toHaveLength(pages);
      const rasters = await ocrRasters(path, contentType);
      const truthWords = new Set((truth!.match(/\p{L}{6,}/gu) ?? []).map((w) => w.toLowerCase()));
      for (let page = 1; page <= pages; page++) {
        const res = await u.clerk.get(imagePath(id, 1, page), purpose('operations'));
        expect(res.status).toBe(200);
        expect(res.contentType).toBe('image/png');
        expect(res.headers.get('cache-control')).toBe('no-store');
        expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
        expect(res.headers.get('x-content-type-options')).toBe('nosniff');
        const { width, height, format } = await sharp(res.raw).metadata();
        const raster = rasters[page - 1].image!;
        expect({ page, format, width, height }).toEqual({ page, format: 'png', width: raster.width, height: raster.height });
        expect((await grayPixels(res.raw)).equals(await grayPixels(raster.data))).toBe(true);

        const words: Word[] = text.body.pages[page - 1].words;
        expect(words.length).toBeGreaterThan(0);
        for (const { bbox } of words) {
          expect(bbox.x0).toBeGreaterThanOrEqual(0);
          expect(bbox.y0).toBeGreaterThanOrEqual(0);
          expect(bbox.x1).toBeLessThanOrEqual(width);
          expect(bbox.y1).toBeLessThanOrEqual(height);
        }
        // A word of the ground truth, as OCR boxed it: the image has ink inside that box.
        const known = words.find((w) => truthWords.has(w.text.replace(/[^\p{L}]/gu, '').toLowerCase()) && w.text.replace(/[^\p{L}]/gu, '').length >= 6);
        expect({ page, known: known?.text ?? null }).toEqual({ page, known: expect.any(String) });
        const { x0, y0, x1, y1 } = known!.bbox;
        const inBox = await sharp(res.raw)
          .extract({ left: x0, top: y0, width: x1 - x0, height: y1 - y0 })
          .extractChannel(0)
          .raw()
          .toBuffer();
        const ink = inBox.filter((v) => v < 128).length / inBox.length;
        expect(ink).toBeGreaterThan(0.05);
      }
    },
  );

  it('page 2 of a two-page TIFF or PDF is not page 1', async () => {
    for (const file of ['mrn-00482913-discharge-summary.tif', 'mrn-00600218-lab-report.pdf']) {
      const { id } = uploaded[file];
      const [one, two] = await Promise.all([1, 2].map((p) => u.clerk.get(imagePath(id, 1, p), purpose('operations'))));
      expect([one.status, two.status]).toEqual([200, 200]);
      expect({ file, same: (await grayPixels(one.raw)).equals(await grayPixels(two.raw)) }).toEqual({ file, same: false });
    }
  });

  it('renders a PDF page with a text layer (no OCR image, no word boxes) at 300 dpi', async () => {
    const { id } = uploaded['born-digital-letter.pdf'];
    const text = await u.clerk.get(`/api/records/${id}/versions/1/text`, purpose('operations'));
    expect(text.body.pages).toEqual([expect.objectContaining({ page: 1, source: 'text-layer', words: [] })]);
    const res = await u.clerk.get(imagePath(id, 1, 1), purpose('operations'));
    expect(res.status).toBe(200);
    expect(res.contentType).toBe('image/png');
    // US letter, 612 x 792 pt, at the resolution OCR gives a page without a scan (300 dpi).
    expect(await sharp(res.raw).metadata()).toMatchObject({ format: 'png', width: 2550, height: 3300, channels: 1, density: 300 });
    expect((await grayPixels(res.raw)).some((v) => v < 64)).toBe(true);
  });

  it('audits the read as a read of the content of that version: one access, before the image', async () => {
    const { id } = uploaded['mrn-00482913-discharge-summary.tif'];
    const before = await contentAccesses(id);
    const head = await headPosition(t.baseUrl);
    const res = await u.clinician.get(imagePath(id, 1, 2), purpose('treatment'));
    expect(res.status).toBe(200);
    expect(await headPosition(t.baseUrl)).toBe(head + 1);
    const after = await contentAccesses(id);
    expect(after.slice(before.length)).toEqual([
      expect.objectContaining({ what: 'content', version: 1, actor: 'clinician1', role: 'clinician', purpose: 'treatment' }),
    ]);
  });

  it('a clerk reads it for operations; an auditor (no records.content) gets 403, and nothing is appended', async () => {
    const { id } = uploaded['mrn-00482913-radiology-report.png'];
    expect((await u.clerk.get(imagePath(id, 1, 1), purpose('operations'))).status).toBe(200);
    expectProblem(await appendsNothing(() => u.auditor.get(imagePath(id, 1, 1), purpose('audit'))), 403);
    expectProblem(await appendsNothing(() => u.clerk.get(imagePath(id, 1, 1))), 400);
  });

  it('a page, version or record that does not exist: 404 (or 400 for a malformed page number), nothing appended', async () => {
    const { id, pages } = uploaded['mrn-00600218-lab-report.pdf'];
    const get = (path: string) => appendsNothing(() => u.clerk.get(path, purpose('operations')));
    const beyond = await get(imagePath(id, 1, pages + 1));
    expectProblem(beyond, 404);
    expect(beyond.body.detail).toContain('page');
    expectProblem(await get(imagePath(id, 1, 1000)), 404);
    expectProblem(await get(imagePath(id, 2, 1)), 404);
    expectProblem(await get(imagePath('00000000-0000-4000-8000-000000000000', 1, 1)), 404);
    for (const bad of ['0', '01', '-1', '1e0', 'x', '1.5']) {
      const res = await get(imagePath(id, 1, bad));
      expectProblem(res, 400);
      expect(res.body.errors).toEqual([expect.objectContaining({ field: 'p' })]);
    }
  });

  it('a destroyed record answers 410 with its tombstone', async () => {
    const created = await u.clerk.request('POST', '/api/records', { form: recordForm({ mrn: 'PAGE-IMAGE-1' }) });
    expect(created.status).toBe(201);
    const id = created.body.id;
    // OCR runs in process here: let it finish first, so that nothing it appends lands in the check below.
    await waitForOcr(u.clerk, id);
    expect((await u.clerk.get(imagePath(id, 1, 1), purpose('operations'))).status).toBe(200);
    expect((await approveAndDestroy(u, id)).status).toBe(200);
    const gone = await appendsNothing(() => u.clerk.get(imagePath(id, 1, 1), purpose('operations')));
    expectProblem(gone, 410);
    expect(gone.body).toMatchObject({ recordStatus: 'destroyed' });
  });
});
