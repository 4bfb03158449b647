import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import PDFDocument from 'pdfkit';
import sharp from 'sharp';
import { headPosition } from './support/configured-app';
import { SCANS } from './support/fixtures';
import { Client, purpose, recordForm, Response, startApp, TestApp, usersByRole } from './support/harness';

/**
 * The quality-review queue over HTTP, OCR in process: a scanned PDF whose second page is an empty
 * sheet (noise and all) is stored whole, its blank page listed for review and left out of the text;
 * items are resolved once, by the roles allowed, and a page assigned to another record becomes that
 * record's new version. MEDREC_REVIEW_CONFIDENCE is 100 here, so that the scanned page is also
 * "hard to read" without a second OCR'd document.
 */

let t: TestApp;
let u: Awaited<ReturnType<typeof usersByRole>>;
let recordId: string;

interface Item {
  id: string;
  kind: string;
  status: string;
  recordId: string | null;
  version: number | null;
  page: number | null;
  measure: Record<string, number>;
  resolution: null | Record<string, unknown>;
}

/** A letter-size PDF of 200 dpi scans: a fixture page, then an empty sheet as a scanner gives it (grey noise). */
async function scanWithBlankPage(): Promise<Buffer> {
  const noisy = await sharp({ create: { width: 1700, height: 2200, channels: 3, background: '#ececec', noise: { type: 'gaussian', mean: 236, sigma: 10 } } })
    .toColourspace('b-w')
    .png()
    .toBuffer();
  const doc = new PDFDocument({ size: 'LETTER', margin: 0, autoFirstPage: false });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve) => doc.on('end', () => resolve(Buffer.concat(chunks))));
  doc.addPage().image(readFileSync(join(SCANS, 'mrn-00482913-radiology-report.png')), 0, 0, { width: 612, height: 792 });
  doc.addPage().image(noisy, 0, 0, { width: 612, height: 792 });
  doc.end();
  return done;
}

async function waitForOcr(id: string, version = 1, timeoutMs = 120_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; ;) {
    const res = await u.clerk.get(`/api/records/${id}/status`);
    const status = res.body.versions?.find((v: { version: number }) => v.version === version)?.ocr?.status;
    if (status === 'done') return;
    if (status === 'failed' || Date.now() > deadline) throw new Error(`OCR of ${id} v${version}: ${status}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The open items of the record, read after everything written so far. */
async function itemsOf(client: Client, id: string, query = ''): Promise<Item[]> {
  const res = await client.get(`/api/review?after=${await headPosition(t.baseUrl)}${query}`);
  expect(res.status).toBe(200);
  return (res.body.items as Item[]).filter((i) => i.recordId === id);
}

function expectProblem(res: Response, status: number, field?: string): void {
  expect(res.status).toBe(status);
  expect(res.contentType).toContain('application/problem+json');
  if (field) expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
}

beforeAll(async () => {
  t = await startApp(undefined, { MEDREC_OCR_IN_PROCESS: 'true', MEDREC_OCR_WORKERS: '1', MEDREC_REVIEW_CONFIDENCE: '100' });
  u = await usersByRole(t.baseUrl);
  const form = recordForm({ mrn: 'RQ-1' }, await scanWithBlankPage(), 'stack.pdf');
  const created = await u.clerk.request('POST', '/api/records', { form });
  expect(created.status).toBe(201);
  recordId = created.body.id;
  await waitForOcr(recordId);
}, 150_000);

afterAll(async () => {
  await t?.close();
});

describe('the quality-review queue', () => {
  it('lists the blank page (and the page under the confidence threshold), oldest first; the original keeps both pages', async () => {
    const items = await itemsOf(u.clerk, recordId);
    expect(items.map((i) => [i.kind, i.page])).toEqual([
      ['low-confidence', 1],
      ['blank-page', 2],
    ]);
    const blank = items[1];
    expect(blank).toMatchObject({ status: 'open', version: 1, resolution: null });
    expect(blank.measure.inkRatio).toBeLessThan(0.002);

    const status = await u.clerk.get(`/api/records/${recordId}/status`);
    expect(status.body.versions[0]).toMatchObject({ pages: 2 });
    // Left out of the record's text, but still a page of it.
    const text = await u.clerk.get(`/api/records/${recordId}/versions/1/text`, purpose('operations'));
    expect(text.status).toBe(200);
    expect(text.body.pages.map((p: { page: number; text: string }) => [p.page, p.text.length > 100])).toEqual([
      [1, true],
      [2, false],
    ]);
    expect(text.body.pages[1].text).toBe('');
  });

  it('pages through the queue with a cursor, and filters by kind', async () => {
    const first = await u.him.get('/api/review?limit=1');
    expect(first.status).toBe(200);
    expect(first.body.items).toHaveLength(1);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await u.him.get(`/api/review?limit=1&cursor=${first.body.nextCursor}`);
    expect(second.body.items[0].id).not.toBe(first.body.items[0].id);
    expect((await itemsOf(u.him, recordId, '&kind=blank-page')).map((i) => i.page)).toEqual([2]);
  });

  it('refuses other roles, and malformed queries and bodies, appending nothing', async () => {
    const [blank] = await itemsOf(u.clerk, recordId, '&kind=blank-page');
    expectProblem(await u.clinician.get('/api/review'), 403);
    expectProblem(await u.auditor.post(`/api/review/${blank.id}/resolve`, { action: 'accept' }), 403);
    const before = await headPosition(t.baseUrl);
    expectProblem(await u.clerk.get('/api/review?kind=smudge'), 400, 'kind');
    expectProblem(await u.clerk.get('/api/review?status=closed'), 400, 'status');
    expectProblem(await u.clerk.get('/api/review?limit=0'), 400, 'limit');
    expectProblem(await u.clerk.get('/api/review?cursor=not-a-cursor'), 400, 'cursor');
    expectProblem(await u.clerk.post(`/api/review/${blank.id}/resolve`, { action: 'discard' }), 400, 'action');
    expectProblem(await u.clerk.post(`/api/review/${blank.id}/resolve`, { action: 'assign' }), 400, 'recordId');
    expectProblem(await u.clerk.post(`/api/review/${blank.id}/resolve`, { action: 'accept', recordId }), 400, 'recordId');
    expectProblem(await u.clerk.post(`/api/review/${blank.id}/resolve`, { action: 'assign', recordId: 'nope' }), 400, 'recordId');
    expectProblem(await u.clerk.post('/api/review/not-a-uuid/resolve', { action: 'accept' }), 400);
    expectProblem(await u.clerk.post('/api/review/00000000-0000-4000-8000-000000000000/resolve', { action: 'accept' }), 404);
    const coverSheet = await u.clerk.post(`/api/review/${blank.id}/resolve`, { action: 'assign', coverSheetId: '00000000-0000-4000-8000-0000000000c5' });
    // No such cover sheet: refused before the page is read or anything made.
    expectProblem(coverSheet, 404);
    expect(coverSheet.body.detail).toMatch(/No such cover sheet/);
    expect(await headPosition(t.baseUrl)).toBe(before);
  });

  it('accepts the blank page once, attributed; a second resolution is a 409', async () => {
    const [blank] = await itemsOf(u.clerk, recordId, '&kind=blank-page');
    const accepted = await u.clerk.post(`/api/review/${blank.id}/resolve`, { action: 'accept' });
    expect(accepted.status).toBe(200);
    expect(accepted.body).toEqual({
      id: blank.id,
      status: 'resolved',
      action: 'accept',
      resolvedBy: 'clerk1',
      resolvedAt: expect.any(String),
      position: expect.any(Number),
    });
    expectProblem(await u.him.post(`/api/review/${blank.id}/resolve`, { action: 'accept' }), 409);
    expectProblem(await u.clerk.post(`/api/review/${blank.id}/resolve`, { action: 'rescan' }), 409);
    expect(await itemsOf(u.clerk, recordId, '&kind=blank-page')).toEqual([]);
    const resolved = await itemsOf(u.clerk, recordId, '&status=resolved');
    expect(resolved).toEqual([expect.objectContaining({ id: blank.id, resolution: expect.objectContaining({ action: 'accept', by: 'clerk1' }) })]);
  });

  it('sends a page to rescan, then assigns it to another record: that record gets it as a new version', async () => {
    const [hard] = await itemsOf(u.clerk, recordId, '&kind=low-confidence');
    const rescan = await u.clerk.post(`/api/review/${hard.id}/resolve`, { action: 'rescan' });
    expect(rescan.body).toMatchObject({ status: 'awaiting-rescan', action: 'rescan' });
    expect((await itemsOf(u.clerk, recordId, '&status=awaiting-rescan')).map((i) => i.id)).toEqual([hard.id]);

    const other = await u.clerk.request('POST', '/api/records', { form: recordForm({ mrn: 'RQ-2' }) });
    expect(other.status).toBe(201);
    const assigned = await u.him.post(`/api/review/${hard.id}/resolve`, { action: 'assign', recordId: other.body.id });
    expect(assigned.status).toBe(200);
    expect(assigned.body).toMatchObject({ status: 'resolved', action: 'assign', recordId: other.body.id, version: 2, resolvedBy: 'him1' });

    const status = await u.him.get(`/api/records/${other.body.id}/status`);
    expect(status.body).toMatchObject({ currentVersion: 2 });
    expect(status.body.versions[1]).toMatchObject({ version: 2, pages: 1 });
    const content = await u.him.get(`/api/records/${other.body.id}/versions/2/content`, purpose('operations'));
    expect(content.contentType).toBe('image/png');
    const meta = await sharp(content.raw).metadata();
    // The page as OCR saw it: the scan's own size and resolution.
    expect(meta).toMatchObject({ width: expect.any(Number), density: expect.any(Number) });
    expect(meta.width).toBeGreaterThan(1650);
    // The source record is unchanged, and its read for the copy is in its audit trail.
    expect((await u.him.get(`/api/records/${recordId}/status`)).body).toMatchObject({ currentVersion: 1 });
    expectProblem(await u.clerk.post(`/api/review/${hard.id}/resolve`, { action: 'assign', recordId: other.body.id }), 409);
    await waitForOcr(other.body.id, 2);
  });
});
