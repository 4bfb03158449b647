import { DEFAULT_REVIEW_THRESHOLDS, ReviewThresholds } from '@medrec/domain';
import { isDocumentContentType } from '../inspect/document-content-type';
import type { IngestLimits } from '../inspect/ingest-limits';
import type { DocumentRecognizer, RecognitionProgress, RecognizedPage } from '../jobs/document-recognizer';
import type { OcrStageListener } from '../jobs/ocr-stages';
import { secondsSince } from '../jobs/ocr-stages';
import { OcrPool } from '../ocr/ocr-pool';
import type { OcrPreprocessing } from '../ocr/ocr-preprocessing';
import { assessPage, isSurelyBlank, RasterQuality } from '../quality/page-quality';
import { rasterizeDocument } from '../rasterize/rasterize-document';

export interface RecognizerOptions {
  /** tesseract.js workers. */
  workers: number;
  /** Close the OCR workers after this long without work (their WASM heaps are large). Default 60 s. */
  idleMs?: number;
  /**
   * Pages beyond these (pixels, shape) are refused (IngestRefusal) before they are decoded, as
   * inspection refuses them; the job runner then fails the version at once. Default: DEFAULT_INGEST_LIMITS.
   */
  limits?: Partial<Pick<IngestLimits, 'maxPixelsPerPage' | 'minPageSidePixels' | 'maxPageAspectRatio'>>;
  /** Where pages are flagged blank, skewed or dark (their `quality`). Default DEFAULT_REVIEW_THRESHOLDS. */
  thresholds?: ReviewThresholds;
  /** What the OCR thread does to a page before tesseract reads it (default: the pool's, 'smooth-bilevel'). */
  preprocess?: OcrPreprocessing;
  /** Whether tesseract gets the clinical lexicon (default: the pool's, true). */
  clinicalLexicon?: boolean;
  /** Called for each page whose text was found: OCR'd (with the seconds its OCR took) or read from the PDF's text layer. */
  onPage?: (page: { source: 'ocr' | 'text-layer'; seconds: number }) => void;
  /** Timings of the stages done here: pool-start, rasterize, ocr-queue and recognize (per page). */
  onStage?: OcrStageListener;
}

/**
 * Rasterizes a document page by page (native resolution) and OCRs the pages that have no text
 * layer on a shared tesseract.js pool, started on first use and stopped when idle. At most two
 * pages per worker are in flight, so memory stays bounded however long the document.
 */
export function createDocumentRecognizer(options: RecognizerOptions): DocumentRecognizer {
  const idleMs = options.idleMs ?? 60_000;
  const thresholds = options.thresholds ?? DEFAULT_REVIEW_THRESHOLDS;
  /** A blank page keeps its place in the document, without text: whatever OCR made of its specks is not the record's text. */
  const withQuality = (page: RecognizedPage, raster: RasterQuality | undefined): RecognizedPage => {
    if (!raster) return page;
    const quality = assessPage(raster, page, thresholds);
    return quality.blank ? { ...page, text: '', words: [], quality } : { ...page, quality };
  };
  let pool: Promise<OcrPool> | undefined;
  let active = 0;
  let idleTimer: NodeJS.Timeout | undefined;

  const acquire = (): Promise<OcrPool> => {
    active++;
    clearTimeout(idleTimer);
    if (!pool) {
      const { onPage, onStage } = options;
      const started = performance.now();
      const starting = OcrPool.start({
        workers: options.workers,
        ...(options.preprocess ? { preprocess: options.preprocess } : {}),
        ...(options.clinicalLexicon !== undefined ? { clinicalLexicon: options.clinicalLexicon } : {}),
        onPageRecognised: (seconds, queuedSeconds) => {
          onPage?.({ source: 'ocr', seconds });
          onStage?.('ocr-queue', queuedSeconds);
          onStage?.('recognize', seconds);
        },
      });
      if (onStage)
        void starting.then(
          () => onStage('pool-start', secondsSince(started)),
          () => undefined,
        );
      // A pool that failed to start is not kept: the next document starts one again.
      starting.catch(() => {
        if (pool === starting) pool = undefined;
      });
      pool = starting;
    }
    return pool;
  };
  const release = (): void => {
    if (--active > 0) return;
    idleTimer = setTimeout(() => {
      const closing = pool;
      pool = undefined;
      void closing?.then((p) => p.close());
    }, idleMs);
    idleTimer.unref();
  };

  return {
    async recognize(content: Buffer, contentType: string, progress?: RecognitionProgress): Promise<RecognizedPage[]> {
      if (!isDocumentContentType(contentType)) throw new Error(`Cannot recognize content of type ${contentType}`);
      const acquired = acquire();
      // A pool that fails to start is reported when the first page needs it (the pages may all be text).
      acquired.catch(() => undefined);
      try {
        const pages: Array<Promise<RecognizedPage>> = [];
        const inFlight = new Set<Promise<unknown>>();
        for await (const raster of timed(rasterizeDocument(content, contentType, { ...options.limits, measureQuality: true }), options.onStage)) {
          if (raster.textLayer !== undefined) {
            options.onPage?.({ source: 'text-layer', seconds: 0 });
            pages.push(Promise.resolve({ page: raster.page, text: raster.textLayer, confidence: 100, source: 'text-layer', words: [] }));
            continue;
          }
          const { data, dpi, quality } = raster.image!;
          if (quality && isSurelyBlank(quality)) {
            pages.push(Promise.resolve(withQuality({ page: raster.page, text: '', confidence: 0, source: 'ocr', words: [] }, quality)));
            continue;
          }
          // The first page is rasterized while the pool starts.
          const ocr = await acquired;
          const page = ocr
            .recognize(data, { dpi })
            .then((r): RecognizedPage =>
              withQuality({ page: raster.page, text: r.text, confidence: r.confidence, source: 'ocr', words: r.words }, raster.image!.quality),
            );
          // A failed page is reported by Promise.all below; these handlers only keep it from being "unhandled" meanwhile.
          page.catch(() => undefined);
          pages.push(page);
          const settled: Promise<unknown> = page.then(
            () => inFlight.delete(settled),
            () => inFlight.delete(settled),
          );
          inFlight.add(settled);
          if (inFlight.size >= options.workers * 2) await Promise.race(inFlight);
        }
        progress?.rasterized?.();
        await acquired;
        return await Promise.all(pages);
      } finally {
        release();
      }
    },

    async close(): Promise<void> {
      clearTimeout(idleTimer);
      const closing = pool;
      pool = undefined;
      await (await closing)?.close();
    },
  };
}

/** The pages as they come, each timed as the 'rasterize' stage (the wait for it, not the caller's work in between). */
async function* timed<T>(pages: AsyncGenerator<T>, onStage: OcrStageListener | undefined): AsyncGenerator<T> {
  if (!onStage) {
    yield* pages;
    return;
  }
  let asked = performance.now();
  for await (const page of pages) {
    onStage('rasterize', secondsSince(asked));
    yield page;
    asked = performance.now();
  }
}
