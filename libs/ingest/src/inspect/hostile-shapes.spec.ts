import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bilevelTiff, grayPng, hostileImages, slowTiff } from '../../../../test/support/hostile-images';
import { rasterizeDocument } from '../rasterize/rasterize-document';
import { DEFAULT_INGEST_LIMITS, IngestLimits, IngestRefusal, inspectDocument } from './inspect-document';

/**
 * Issue 9, defect 4: pages a pixel wide and millions long took seconds (or minutes) to inspect and
 * gigabytes to OCR. They are refused from their headers, before any decode, in inspection and again
 * in rasterizing for OCR; any inspection has a deadline, and stops when its caller gives up.
 */

const limits = (overrides: Partial<IngestLimits> = {}): IngestLimits => ({ ...DEFAULT_INGEST_LIMITS, ...overrides });

async function outcomeOf(promise: Promise<unknown>): Promise<{ reason?: string; status?: number; error?: string; ms: number }> {
  const started = Date.now();
  try {
    await promise;
    return { error: 'accepted', ms: Date.now() - started };
  } catch (error) {
    const ms = Date.now() - started;
    if (error instanceof IngestRefusal) return { reason: error.reason, status: error.status, ms };
    return { error: (error as Error).name, ms };
  }
}

async function drain(generator: AsyncGenerator<unknown>): Promise<void> {
  for await (const _ of generator) {
    /* pages are dropped */
  }
}

const contentTypeOf = (filename: string) =>
  (({ png: 'image/png', tif: 'image/tiff', jpg: 'image/jpeg', pdf: 'application/pdf' }) as const)[filename.split('.').pop() as 'png'];

describe('hostile page shapes', () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'medrec-shapes-'));
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  describe.each(hostileImages().map((image) => [image.name, image] as const))('%s', (_name, image) => {
    it(`is refused by inspection (422 ${image.reason}) from its header, at once and without memory`, async () => {
      const path = join(tmp, image.filename);
      await writeFile(path, image.bytes);
      const rss = process.memoryUsage().rss;
      const outcome = await outcomeOf(inspectDocument(path, limits()));
      const grownMb = Math.round((process.memoryUsage().rss - rss) / 1024 / 1024);
      expect({ ...outcome, ms: outcome.ms < 1_500, grownMb: grownMb < 64 }).toEqual({ reason: image.reason, status: 422, ms: true, grownMb: true });
    });

    it('is refused again by rasterizing for OCR, before any page is decoded', async () => {
      const rss = process.memoryUsage().rss;
      const outcome = await outcomeOf(drain(rasterizeDocument(image.bytes, contentTypeOf(image.filename))));
      const grownMb = Math.round((process.memoryUsage().rss - rss) / 1024 / 1024);
      expect({ ...outcome, ms: outcome.ms < 1_500, grownMb: grownMb < 64 }).toEqual({ reason: image.reason, status: 422, ms: true, grownMb: true });
    });
  });

  it('accepts plausible shapes at the limits: 16 x 16, and 20:1', async () => {
    for (const [name, bytes] of [
      ['square.png', grayPng(16, 16)],
      ['ribbon.png', grayPng(320, 16)],
      ['receipt.tif', bilevelTiff([{ width: 600, height: 12_000 }])],
    ] as const) {
      const path = join(tmp, name);
      await writeFile(path, bytes);
      await expect(inspectDocument(path, limits())).resolves.toMatchObject({ pages: 1 });
    }
  });

  it('takes its limits from the caller', async () => {
    const path = join(tmp, 'limits.png');
    await writeFile(path, grayPng(300, 24));
    await expect(inspectDocument(path, limits())).resolves.toMatchObject({ pages: 1 });
    expect(await outcomeOf(inspectDocument(path, limits({ minPageSidePixels: 32 })))).toMatchObject({ reason: 'page-too-narrow' });
    expect(await outcomeOf(inspectDocument(path, limits({ maxPageAspectRatio: 10 })))).toMatchObject({ reason: 'page-too-elongated' });
  });

  describe('time', () => {
    it('refuses an inspection that outlasts its deadline (422 inspection-timeout), and frees its decode slot', async () => {
      // Twenty 5100 x 6600 pages: plausible, but several seconds to decode whole.
      const path = join(tmp, 'slow.tif');
      await writeFile(path, slowTiff(20));
      const outcome = await outcomeOf(inspectDocument(path, limits({ inspectionTimeoutMs: 1_000 })));
      expect({ reason: outcome.reason, status: outcome.status, inTime: outcome.ms < 2_500 }).toEqual({ reason: 'inspection-timeout', status: 422, inTime: true });
      await waitUntil(async () => (await import('./decode-slots')).decodeSlots.busy === 0, 3_000);
    });

    it('stops an inspection whose caller has gone: rejects with the caller reason, decodes no further page', async () => {
      const path = join(tmp, 'slow-aborted.tif');
      await writeFile(path, slowTiff(20));
      const controller = new AbortController();
      const gone = Object.assign(new Error('client gone'), { name: 'ClientGone' });
      setTimeout(() => controller.abort(gone), 300);
      const outcome = await outcomeOf(inspectDocument(path, limits(), { signal: controller.signal }));
      expect({ error: outcome.error, inTime: outcome.ms < 1_000 }).toEqual({ error: 'ClientGone', inTime: true });
      // The page being decoded may finish (libvips cannot be interrupted mid-page); no other one starts.
      await waitUntil(async () => (await import('./decode-slots')).decodeSlots.busy === 0, 3_000);
    });

    it('refuses a PDF whose inspection outlasts its deadline with inspection-timeout, not corrupt', async () => {
      const path = join(tmp, 'pages.pdf');
      const { minimalPdf } = await import('../rasterize/testing/minimal-pdf');
      await writeFile(path, minimalPdf(Array.from({ length: 3 }, () => ({ widthPt: 612, heightPt: 792, rectangle: true }))));
      const outcome = await outcomeOf(inspectDocument(path, limits({ inspectionTimeoutMs: 1 })));
      expect(outcome).toMatchObject({ reason: 'inspection-timeout', status: 422 });
    });
  });
});

async function waitUntil(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
