import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bilevelTiff, grayPng, hostileImages, slowTiff } from '../../../../test/support/hostile-images';
import { rasterizeDocument } from '../rasterize/rasterize-document';
import { decodeSlots } from './decode-slots';
import { DEFAULT_INGEST_LIMITS, IngestLimits, IngestRefusal, inspectDocument } from './inspect-document';

/**
 * Issue 9, defect 4: pages a pixel wide and millions long took seconds (or minutes) to inspect and
 * gigabytes to OCR. They are refused from their headers, before any decode, in inspection and again
 * in rasterizing for OCR; any inspection has a deadline, and stops when its caller gives up.
 */

const limits = (overrides: Partial<IngestLimits> = {}): IngestLimits => ({ ...DEFAULT_INGEST_LIMITS, ...overrides });

async function outcomeOf(promise: Promise<unknown>): Promise<{ reason?: string; status?: number; error?: string }> {
  try {
    await promise;
    return { error: 'accepted' };
  } catch (error) {
    if (error instanceof IngestRefusal) return { reason: error.reason, status: error.status };
    return { error: (error as Error).name };
  }
}

/** The outcome, and how many decodes it started: every decode (inspection's and rasterizing's) takes a decode slot. */
async function withDecodes(promise: () => Promise<unknown>): Promise<{ outcome: Awaited<ReturnType<typeof outcomeOf>>; decodes: number }> {
  const decodes = jest.spyOn(decodeSlots, 'run');
  try {
    const outcome = await outcomeOf(promise());
    return { outcome, decodes: decodes.mock.calls.length };
  } finally {
    decodes.mockRestore();
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
    it(`is refused by inspection (422 ${image.reason}) from its header, without decoding a page`, async () => {
      const path = join(tmp, image.filename);
      await writeFile(path, image.bytes);
      await expect(withDecodes(() => inspectDocument(path, limits()))).resolves.toEqual({ outcome: { reason: image.reason, status: 422 }, decodes: 0 });
    });

    it('is refused again by rasterizing for OCR, before any page is decoded', async () => {
      const refused = await withDecodes(() => drain(rasterizeDocument(image.bytes, contentTypeOf(image.filename))));
      expect(refused).toEqual({ outcome: { reason: image.reason, status: 422 }, decodes: 0 });
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
      const { outcome, decodes } = await withDecodes(() => inspectDocument(path, limits({ inspectionTimeoutMs: 1_000 })));
      expect(outcome).toEqual({ reason: 'inspection-timeout', status: 422 });
      expect(decodes).toBeLessThan(20); // stopped at the deadline, not after decoding every page
      await waitUntil(async () => (await import('./decode-slots')).decodeSlots.busy === 0, 3_000);
    });

    it('stops an inspection whose caller has gone: rejects with the caller reason, decodes no further page', async () => {
      const path = join(tmp, 'slow-aborted.tif');
      await writeFile(path, slowTiff(20));
      const controller = new AbortController();
      const gone = Object.assign(new Error('client gone'), { name: 'ClientGone' });
      const run = decodeSlots.run.bind(decodeSlots);
      // The caller goes away as the first page's decode starts.
      const decodes = jest.spyOn(decodeSlots, 'run').mockImplementation((work, signal) =>
        run(async () => {
          controller.abort(gone);
          return work();
        }, signal),
      );
      try {
        const outcome = await outcomeOf(inspectDocument(path, limits(), { signal: controller.signal }));
        expect(outcome).toEqual({ error: 'ClientGone' });
        // The page being decoded may finish (libvips cannot be interrupted mid-page); no other one starts.
        expect(decodes).toHaveBeenCalledTimes(1);
      } finally {
        decodes.mockRestore();
      }
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
