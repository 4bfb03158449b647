import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { characterErrorRate } from '../quality/cer';
import { encodePbm, encodePgm } from './netpbm';
import { OcrEngineError, OcrPoolClosedError, OcrQueueFullError, OcrTimeoutError } from './ocr-errors';
import { OcrPool } from './ocr-pool';

jest.setTimeout(60_000);

const SCANS = join(__dirname, '../../../../test/fixtures/scans');

interface Fixture {
  image: Buffer;
  width: number;
  height: number;
  truth: string;
}

/** Decodes a one-page fixture at its native resolution, as the rasterizer does. */
async function fixture(name: string, encode: typeof encodePbm | typeof encodePgm): Promise<Fixture> {
  const { data, info } = await sharp(join(SCANS, name)).greyscale().raw().toBuffer({ resolveWithObject: true });
  return {
    image: encode({ data, width: info.width, height: info.height }),
    width: info.width,
    height: info.height,
    truth: readFileSync(join(SCANS, name.replace(/\.\w+$/, '.txt')), 'utf8'),
  };
}

describe('OcrPool', () => {
  // Bilevel TIFF (PBM) and a clean greyscale JPEG (PGM), both 200 dpi.
  let progressNote: Fixture;
  let radiology: Fixture;
  let pool: OcrPool;

  beforeAll(async () => {
    progressNote = await fixture('mrn-00519377-progress-note.tif', encodePbm);
    radiology = await fixture('mrn-00733105-radiology-report.jpg', encodePgm);
    pool = await OcrPool.start({ workers: 2 });
  });

  afterAll(() => pool?.close());

  it('reads a bilevel scan: expected words, low CER, sane confidence', async () => {
    const page = await pool.recognize(progressNote.image, { dpi: 200 });

    expect(page.text).toContain('PROGRESS NOTE');
    expect(page.text).toContain('MRN-00519377');
    expect(page.text).toContain('metformin 500 mg');
    // Measured 0.45% raw, 0% with the bilevel smoothing (bench/ocr-tuning).
    expect(characterErrorRate(progressNote.truth, page.text)).toBeLessThan(0.01);
    expect(page.confidence).toBeGreaterThan(80);
    expect(page.confidence).toBeLessThanOrEqual(100);
  });

  it('gives every word a confidence and a box inside the image', async () => {
    const page = await pool.recognize(radiology.image, { dpi: 200 });

    // Measured 0.00%.
    expect(characterErrorRate(radiology.truth, page.text)).toBeLessThan(0.005);
    expect(page.words.length).toBeGreaterThan(40);
    expect(page.words.map((word) => word.text)).toEqual(expect.arrayContaining(['RADIOLOGY', 'MRN-00733105']));
    for (const { text, confidence, bbox } of page.words) {
      expect(text.trim()).toBe(text);
      expect(text.length).toBeGreaterThan(0);
      expect(confidence).toBeGreaterThanOrEqual(0);
      expect(confidence).toBeLessThanOrEqual(100);
      expect(bbox.x0).toBeGreaterThanOrEqual(0);
      expect(bbox.y0).toBeGreaterThanOrEqual(0);
      expect(bbox.x1).toBeGreaterThan(bbox.x0);
      expect(bbox.y1).toBeGreaterThan(bbox.y0);
      expect(bbox.x1).toBeLessThanOrEqual(radiology.width);
      expect(bbox.y1).toBeLessThanOrEqual(radiology.height);
    }
    const mean = page.words.reduce((sum, word) => sum + word.confidence, 0) / page.words.length;
    expect(page.confidence).toBeCloseTo(mean, 1);
  });

  it('runs pages concurrently on its two workers, each with the same result as alone', async () => {
    const alone = await pool.recognize(progressNote.image, { dpi: 200 });
    const images = [progressNote, radiology, progressNote, radiology];

    const pending = images.map((fixture) => pool.recognize(fixture.image, { dpi: 200 }));
    expect(pool.queued).toBe(2);
    const pages = await Promise.all(pending);

    expect(pages[0].text).toBe(alone.text);
    expect(pages[2].text).toBe(alone.text);
    expect(pages[1].text).toBe(pages[3].text);
    expect(pool.size).toBe(2);
    expect(pool.queued).toBe(0);
  });

  // Linux: the nice value of each thread of this process, field 19 of /proc/self/task/<tid>/stat.
  const threadNices = () =>
    readdirSync('/proc/self/task').map((tid) => {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      return { tid, nice: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]) };
    });

  it('recognises on threads that run at a lower priority than the request thread (nice 10)', () => {
    const threads = threadNices();
    expect(threads.find(({ tid }) => tid === String(process.pid))?.nice).toBe(0);
    // Each OCR worker is a Node worker thread; its helper threads (V8's) stay at the process's priority.
    expect(threads.filter(({ nice }) => nice === 10).length).toBeGreaterThanOrEqual(2);
  });

  it("starts its engine at the process's priority and lowers it for the first page", async () => {
    const niced = () => threadNices().filter(({ nice }) => nice === 10).length;
    const before = niced();
    const fresh = await OcrPool.start({ workers: 1 });
    try {
      expect(niced()).toBe(before);
      await fresh.recognize(progressNote.image, { dpi: 200 });
      expect(niced()).toBe(before + 1);
    } finally {
      await fresh.close();
    }
  });

  it('rejects an unreadable image and replaces the worker it ran on', async () => {
    const before = pool.stats;

    await expect(pool.recognize(Buffer.from('not an image at all'))).rejects.toBeInstanceOf(OcrEngineError);

    const page = await pool.recognize(radiology.image, { dpi: 200 });
    expect(page.text).toContain('RADIOLOGY');
    expect(pool.stats.workersReplaced).toBe(before.workersReplaced + 1);
    expect(pool.stats.pagesFailed).toBe(before.pagesFailed + 1);
  });

  it('ignores a resolution outside what tesseract finds credible', async () => {
    const page = await pool.recognize(radiology.image, { dpi: 10_000 });
    expect(page.text).toContain('RADIOLOGY');
  });
});

describe('OcrPool lifecycle', () => {
  let small: Buffer;

  beforeAll(async () => {
    // The header block of a fixture: a few lines, recognized in a fraction of a second.
    const source = sharp(join(SCANS, 'mrn-00733105-radiology-report.jpg'));
    const { data, info } = await source.extract({ left: 0, top: 0, width: 1738, height: 420 }).greyscale().raw().toBuffer({ resolveWithObject: true });
    small = encodePgm({ data, width: info.width, height: info.height });
  });

  it('recycles a worker after the configured number of pages', async () => {
    const pool = await OcrPool.start({ workers: 1, recycleAfterJobs: 2 });
    try {
      const texts: string[] = [];
      for (let i = 0; i < 5; i++) texts.push((await pool.recognize(small, { dpi: 200 })).text);

      expect(new Set(texts).size).toBe(1);
      expect(texts[0]).toContain('RADIOLOGY');
      expect(pool.stats).toMatchObject({ workersStarted: 3, workersRecycled: 2, pagesRecognized: 5, pagesFailed: 0 });
      expect(pool.size).toBe(1);
    } finally {
      await pool.close();
    }
  });

  it('bounds its queue: rejects at once when full', async () => {
    const pool = await OcrPool.start({ workers: 1, maxQueued: 1 });
    try {
      const running = pool.recognize(small); // taken by the worker at once
      const queued = pool.recognize(small);
      await expect(pool.recognize(small)).rejects.toBeInstanceOf(OcrQueueFullError);
      await expect(Promise.all([running, queued])).resolves.toHaveLength(2);
    } finally {
      await pool.close();
    }
  });

  it('close() fails queued pages, finishes the running one and ends every worker', async () => {
    const pool = await OcrPool.start({ workers: 2 });
    const pages = [1, 2, 3].map(() => pool.recognize(small, { dpi: 200 }));
    const settled = Promise.allSettled(pages);

    await pool.close();
    const [first, second, third] = await settled;

    expect(first.status).toBe('fulfilled');
    expect(second.status).toBe('fulfilled');
    expect(third).toMatchObject({ status: 'rejected', reason: expect.any(OcrPoolClosedError) });
    expect(pool.size).toBe(0);
    await expect(pool.recognize(small)).rejects.toBeInstanceOf(OcrPoolClosedError);
    await expect(pool.close()).resolves.toBeUndefined();
  });

  it('fails a page that runs past the timeout and carries on with a fresh worker', async () => {
    const pool = await OcrPool.start({ workers: 1, pageTimeoutMs: 1 });
    try {
      await expect(pool.recognize(small)).rejects.toBeInstanceOf(OcrTimeoutError);
      await expect(pool.recognize(small)).rejects.toBeInstanceOf(OcrTimeoutError);
      expect(pool.stats).toMatchObject({ workersReplaced: 2, pagesFailed: 2, pagesRecognized: 0 });
    } finally {
      await pool.close();
    }
    // The second page ran on the replacement; closing does not start another one.
    expect(pool.stats.workersStarted).toBe(2);
    expect(pool.size).toBe(0);
  });

  it('refuses to start without its language data instead of fetching it', async () => {
    await expect(OcrPool.start({ workers: 1, langPath: join(__dirname, 'no-such-dir') })).rejects.toBeInstanceOf(OcrEngineError);
  });
});
