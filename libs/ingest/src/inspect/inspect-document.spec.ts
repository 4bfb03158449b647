import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { PdfWorker, PdfWorkerFailure } from '../rasterize/pdf-worker';
import { decodeSlots } from './decode-slots';
import { minimalPdf } from '../rasterize/testing/minimal-pdf';
import { DEFAULT_INGEST_LIMITS, IngestLimits, IngestRefusal, inspectDocument } from './inspect-document';

const FIXTURES = join(__dirname, '..', '..', '..', '..', 'test', 'fixtures');
const BAD_INPUTS = join(FIXTURES, 'bad-inputs');
const SCANS = join(FIXTURES, 'scans');

/** How each refusal in expectations.json must come out. */
const REFUSALS: Record<string, { status: number; reason: string }> = {
  'empty.pdf': { status: 422, reason: 'empty' },
  'truncated.jpg': { status: 422, reason: 'corrupt' },
  'not-a-pdf.pdf': { status: 415, reason: 'unsupported-type' },
  'decompression-bomb.png': { status: 422, reason: 'too-many-pixels' },
  'password-protected.pdf': { status: 422, reason: 'encrypted' },
};

const CONTENT_TYPE_BY_EXTENSION: Record<string, string> = {
  pdf: 'application/pdf',
  tif: 'image/tiff',
  png: 'image/png',
  jpg: 'image/jpeg',
};

async function refusalOf(promise: Promise<unknown>): Promise<IngestRefusal> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(IngestRefusal);
  return error as IngestRefusal;
}

const limits = (overrides: Partial<IngestLimits> = {}): IngestLimits => ({ ...DEFAULT_INGEST_LIMITS, ...overrides });

describe('inspectDocument', () => {
  let tmp: string;
  const tmpFile = async (name: string, bytes: Buffer | string) => {
    const path = join(tmp, name);
    await writeFile(path, bytes);
    return path;
  };

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'medrec-inspect-'));
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  describe('bad inputs (test/fixtures/bad-inputs/expectations.json)', () => {
    const expectations: Record<string, { expect: 'accept' | 'reject'; why: string }> = JSON.parse(readFileSync(join(BAD_INPUTS, 'expectations.json'), 'utf8'));

    it('covers every rejection with an expected status and reason', () => {
      const rejected = Object.entries(expectations)
        .filter(([, e]) => e.expect === 'reject')
        .map(([file]) => file);
      expect(rejected.sort()).toEqual(Object.keys(REFUSALS).sort());
    });

    for (const [file, expectation] of Object.entries(expectations)) {
      it(`${expectation.expect}s ${file} (${expectation.why})`, async () => {
        const inspection = inspectDocument(join(BAD_INPUTS, file), limits());
        if (expectation.expect === 'accept') {
          await expect(inspection).resolves.toMatchObject({ pages: 1 });
          return;
        }
        const refusal = await refusalOf(inspection);
        expect({ status: refusal.status, reason: refusal.reason }).toEqual(REFUSALS[file]);
        expect(refusal.message).not.toContain(file);
        expect(refusal.message.length).toBeGreaterThan(10);
      });
    }

    it('refuses every truncated JPEG also when several are decoded at once (they were let through one time in five)', async () => {
      const copies = await Promise.all(Array.from({ length: 40 }, (_, i) => tmpFile(`truncated-${i}.jpg`, readFileSync(join(BAD_INPUTS, 'truncated.jpg')))));
      const outcomes = await Promise.all(
        copies.map((path) =>
          inspectDocument(path, limits()).then(
            () => 'accepted',
            (error: unknown) => (error instanceof IngestRefusal ? error.reason : 'other'),
          ),
        ),
      );
      expect(outcomes).toEqual(copies.map(() => 'corrupt'));
    });

    it('refuses the 60000 x 60000 PNG from its header, without decoding it', async () => {
      // Decoded, it would need 3.6 GB: no decode is started (every decode takes a decode slot).
      const decodes = jest.spyOn(decodeSlots, 'run');
      try {
        const refusal = await refusalOf(inspectDocument(join(BAD_INPUTS, 'decompression-bomb.png'), limits()));
        expect(refusal.reason).toBe('too-many-pixels');
        expect(decodes).not.toHaveBeenCalled();
      } finally {
        decodes.mockRestore();
      }
    });

    it('takes the type from the bytes: a JPEG named .tif is a JPEG', async () => {
      await expect(inspectDocument(join(BAD_INPUTS, 'jpeg-named-as.tif'), limits())).resolves.toEqual({ contentType: 'image/jpeg', pages: 1 });
    });

    it('counts the pages of a born-digital PDF that keep their own text layer', async () => {
      await expect(inspectDocument(join(BAD_INPUTS, 'born-digital-letter.pdf'), limits())).resolves.toEqual({
        contentType: 'application/pdf',
        pages: 1,
        textLayerPages: 1,
      });
    });
  });

  describe('scans (test/fixtures/scans/manifest.json)', () => {
    const manifest: Array<{ file: string; pages: number }> = JSON.parse(readFileSync(join(SCANS, 'manifest.json'), 'utf8'));

    it.each(manifest.map((entry) => [entry.file, entry.pages] as const))('%s has %i page(s)', async (file, pages) => {
      const inspection = await inspectDocument(join(SCANS, file), limits());
      const contentType = CONTENT_TYPE_BY_EXTENSION[file.split('.').pop()!];
      expect(inspection).toEqual(contentType === 'application/pdf' ? { contentType, pages, textLayerPages: 0 } : { contentType, pages });
    });
  });

  describe('limits', () => {
    const twoPageTiff = join(SCANS, 'mrn-00482913-discharge-summary.tif');
    const twoPagePdf = join(SCANS, 'mrn-00600218-lab-report.pdf');

    it('refuses more pages than maxPages, in a TIFF and in a PDF', async () => {
      for (const file of [twoPageTiff, twoPagePdf]) {
        const refusal = await refusalOf(inspectDocument(file, limits({ maxPages: 1 })));
        expect([refusal.status, refusal.reason]).toEqual([422, 'too-many-pages']);
      }
      await expect(inspectDocument(twoPageTiff, limits({ maxPages: 2 }))).resolves.toMatchObject({ pages: 2 });
    });

    it('refuses a file over maxBytes with 413 before looking inside', async () => {
      const refusal = await refusalOf(inspectDocument(twoPageTiff, limits({ maxBytes: 1000 })));
      expect([refusal.status, refusal.reason]).toEqual([413, 'too-large']);
    });

    it('refuses pages over maxPixelsPerPage, for images and for scanned PDFs at their native resolution', async () => {
      // The scans are ~1730 x 2230 pixels (200 dpi letter): 3.9 M pixels.
      for (const file of ['mrn-00482913-radiology-report.png', 'mrn-00482913-discharge-summary.tif', 'mrn-00600218-lab-report.pdf']) {
        const refusal = await refusalOf(inspectDocument(join(SCANS, file), limits({ maxPixelsPerPage: 3_000_000 })));
        expect([refusal.status, refusal.reason]).toEqual([422, 'too-many-pixels']);
        await expect(inspectDocument(join(SCANS, file), limits({ maxPixelsPerPage: 4_000_000 }))).resolves.toBeDefined();
      }
    });
  });

  describe('PDFs the fixtures do not cover', () => {
    it('refuses a page whose size (MediaBox) would need too many pixels even without any image', async () => {
      // 200 x 200 inches rendered at 300 dpi: 3.6 G pixels.
      const path = await tmpFile('huge-page.pdf', minimalPdf([{ widthPt: 14_400, heightPt: 14_400, rectangle: true }]));
      const refusal = await refusalOf(inspectDocument(path, limits()));
      expect(refusal.reason).toBe('too-many-pixels');
    });

    it('refuses an embedded image larger than a page may be, even when it is drawn small', async () => {
      const gray = Buffer.alloc(4000 * 3000, 255);
      const image = { width: 4000, height: 3000, gray, at: [72, 72, 100, 75] as [number, number, number, number] };
      const path = await tmpFile('big-image.pdf', minimalPdf([{ widthPt: 612, heightPt: 792, image }]));
      // The page itself (letter at 300 dpi, 8.4 M pixels) is within the limit; the image (12 M) is not.
      const refusal = await refusalOf(inspectDocument(path, limits({ maxPixelsPerPage: 9_000_000 })));
      expect(refusal.reason).toBe('too-many-pixels');
      await expect(inspectDocument(path, limits({ maxPixelsPerPage: 13_000_000 }))).resolves.toEqual({
        contentType: 'application/pdf',
        pages: 1,
        textLayerPages: 0,
      });
    });

    it('refuses a file that starts like a PDF but is not one', async () => {
      const path = await tmpFile('garbage.pdf', Buffer.concat([Buffer.from('%PDF-1.7\n'), deflateSync(Buffer.alloc(5000, 7))]));
      const refusal = await refusalOf(inspectDocument(path, limits()));
      expect([refusal.status, refusal.reason]).toEqual([422, 'corrupt']);
    });

    it('refuses (422) a PDF whose worker fails or crashes, rather than answering a server error', async () => {
      const path = await tmpFile('fine.pdf', minimalPdf([{ widthPt: 612, heightPt: 792, lines: ['A page.'] }]));
      for (const kind of ['failed', 'crashed'] as const) {
        // Fault injection: the worker's answer is replaced by the failure pdf.js or a dying thread would give.
        const request = jest.spyOn(PdfWorker.prototype, 'request').mockRejectedValueOnce(new PdfWorkerFailure(kind, 'injected'));
        try {
          const refusal = await refusalOf(inspectDocument(path, limits()));
          expect([refusal.status, refusal.reason, refusal.message]).toEqual([422, 'corrupt', 'The PDF cannot be read']);
        } finally {
          request.mockRestore();
        }
      }
    });

    it('accepts a generated multi-page PDF and counts its text-layer pages', async () => {
      const pdf = minimalPdf([
        { widthPt: 612, heightPt: 792, lines: ['Discharge summary for a fictional patient, page one of three.'] },
        { widthPt: 612, heightPt: 792, rectangle: true },
        { widthPt: 612, heightPt: 792, image: { width: 850, height: 1100, gray: Buffer.alloc(850 * 1100, 200) } },
      ]);
      const path = await tmpFile('three-pages.pdf', pdf);
      await expect(inspectDocument(path, limits())).resolves.toEqual({ contentType: 'application/pdf', pages: 3, textLayerPages: 1 });
    });
  });

  describe('non-documents', () => {
    it.each([
      ['notes.pdf', Buffer.from('Patient presented with chest pain.\n')],
      ['archive.tif', Buffer.concat([Buffer.from('PK\u0003\u0004'), Buffer.alloc(200, 1)])],
      ['program.png', Buffer.concat([Buffer.from('MZ'), Buffer.alloc(510, 0)])],
      [
        'picture.jpg',
        Buffer.from(
          'GIF89a\u0001\u0000\u0001\u0000\u0080\u0000\u0000\u0000\u0000\u0000\u00ff\u00ff\u00ff!\u00f9\u0004\u0001\u0000\u0000\u0000\u0000,\u0000\u0000\u0000\u0000\u0001\u0000\u0001\u0000\u0000\u0002\u0002D\u0001\u0000;',
          'latin1',
        ),
      ],
    ])('refuses %s with 415 whatever its name says', async (name, bytes) => {
      const refusal = await refusalOf(inspectDocument(await tmpFile(name, bytes), limits()));
      expect([refusal.status, refusal.reason]).toEqual([415, 'unsupported-type']);
      expect(refusal.message).not.toContain(name);
    });

    it('reads the bytes, not the name, of a real image too', async () => {
      const png = await readFile(join(SCANS, 'mrn-00482913-radiology-report.png'));
      await expect(inspectDocument(await tmpFile('scan.pdf', png), limits())).resolves.toEqual({ contentType: 'image/png', pages: 1 });
    });
  });
});
