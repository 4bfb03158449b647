import { access } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import type { Worker as ThreadWorker } from 'node:worker_threads';
import { createWorker, OEM, PSM, RecognizeOptions as TesseractRecognizeOptions, Worker as TesseractWorker } from 'tesseract.js';
import { ocrThreadPath } from '../thread-entry-path';
import { OcrEngineError, OcrError, OcrPoolClosedError, OcrQueueFullError, OcrTimeoutError } from './ocr-errors';
import { meanConfidence, PageOcr, wordsFromTsv } from './page-ocr';
import { OCR_PREPROCESSING, OcrPreprocessing } from './ocr-preprocessing';
import { holdSharedTesseractCore } from './shared-tesseract-core';

export interface OcrPoolOptions {
  /** Tesseract workers (threads), one page each at a time. Default: os.availableParallelism(). */
  workers?: number;
  /**
   * Replace a worker after it has recognized this many pages: its WASM heap only ever grows.
   * Default 200; 0 never recycles.
   */
  recycleAfterJobs?: number;
  /** Pages accepted while all workers are busy; beyond it recognize() rejects. Default workers * 16. */
  maxQueued?: number;
  /** A page running longer fails with OcrTimeoutError and its worker is replaced. Default 120 s. */
  pageTimeoutMs?: number;
  /** Default PSM 6 (one uniform block): keeps the rows of forms and tables in reading order. */
  psm?: PSM;
  /** Default LSTM only: the legacy engine was both slower and less accurate on the scans. */
  oem?: OEM.LSTM_ONLY | OEM.DEFAULT;
  /**
   * Directory of `eng.traineddata[.gz]`. Default: the LSTM-only "best_int" model of the
   * @tesseract.js-data/eng package; read from disk, never fetched.
   */
  langPath?: string;
  /** Whether the file under langPath is `eng.traineddata.gz` (default true). */
  gzip?: boolean;
  /** Extra tesseract parameters set on every worker (after the defaults). */
  parameters?: Record<string, string>;
  /**
   * What is done to each page in the OCR thread before tesseract reads it (the caller's image is
   * never changed). Default 'smooth-bilevel': see preprocess/smooth-bilevel.js.
   */
  preprocess?: OcrPreprocessing;
  /**
   * Load the clinical lexicon (lexicon/clinical-words.txt: lab tests, units, vital signs, common
   * clinical abbreviations) into tesseract's dictionary, so that of two nearly equal readings the
   * LSTM keeps the clinical word ("HbA1c", not "HbAlc"). Default true.
   */
  clinicalLexicon?: boolean;
  /** Called for each page recognised, with the seconds its worker spent on it and, apart, the seconds it waited in the queue. */
  onPageRecognised?: (seconds: number, queuedSeconds: number) => void;
}

export interface OcrPageOptions {
  /**
   * The image's resolution. Outside 70-2400 (tesseract's credible range) it is ignored and
   * tesseract falls back on the image's own metadata or its estimate.
   */
  dpi?: number;
}

export type { OcrPreprocessing } from './ocr-preprocessing';

/**
 * The recognize option the OCR thread takes the preprocessing from (PREPROCESS_OPTION of
 * preprocess/ocr-input.js: plain JavaScript loaded by the thread only, so not imported here).
 */
export const OCR_PREPROCESS_OPTION = 'medrec_preprocess';

/**
 * Where the OCR thread writes the clinical lexicon in the engine's file system
 * (CLINICAL_LEXICON_ENGINE_PATH of clinical-lexicon.js, thread-side: not imported here).
 */
const CLINICAL_LEXICON_ENGINE_PATH = '/medrec-clinical-words';

const MIN_CREDIBLE_DPI = 70;
const MAX_CREDIBLE_DPI = 2400;
const START_TIMEOUT_MS = 60_000;

/** The language data bundled in node_modules (see the fixtures tuning in bench/ocr-tuning). */
export function bundledEnglishData(): { langPath: string; gzip: boolean } {
  const packageDir = dirname(require.resolve('@tesseract.js-data/eng/package.json'));
  return { langPath: join(packageDir, '4.0.0_best_int'), gzip: true };
}

export const DEFAULT_OCR_PARAMETERS: Readonly<Record<string, string>> = {
  // Keeps the column gaps of forms in the text (CER folds whitespace, so accuracy is unaffected).
  preserve_interword_spaces: '1',
  // A row's x-height is taken from the heights of its letters only when the lowercase ones make up
  // at least this share of its tallest pile (default 0.4). Rows of lab tables and headers are mostly
  // digits and capitals ("Platelets 239 10^9/L 150-400"): their x-height was then taken for the
  // capitals' height, and the LSTM read the capitals as lowercase ("platelets"). 0.2 (0.1 alike):
  // shared set mean CER 0.201% -> 0.19%, worst 1.05% -> 0.88%, with no cost in speed.
  textord_xheight_mode_fraction: '0.2',
};

/** Counters since start, for monitoring. */
export interface OcrPoolStats {
  workersStarted: number;
  /** Workers replaced after `recycleAfterJobs` pages. */
  workersRecycled: number;
  /** Workers replaced after a failure or timeout. */
  workersReplaced: number;
  pagesRecognized: number;
  pagesFailed: number;
}

interface Job {
  image: Buffer;
  parameters: Record<string, string>;
  /** performance.now() when it was queued. */
  queuedAt: number;
  resolve: (page: PageOcr) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: TesseractWorker;
  jobsDone: number;
  /** The page it is working on, if any. */
  current?: Job;
  /** Settles the page in progress when the worker thread dies under it. */
  onThreadFailure?: (error: Error) => void;
  retiring: boolean;
  retired?: Promise<void>;
  /** Resolves when its thread has ended. */
  exited: Promise<void>;
}

/**
 * A fixed set of tesseract.js workers with a bounded FIFO queue of pages.
 *
 * tesseract.js's own scheduler cannot remove a worker (needed to recycle one, or to replace one
 * that crashed or hung) and does not wait for its workers to end, so the pool dispatches itself.
 *
 * Back-pressure: recognize() rejects at once with OcrQueueFullError when `maxQueued` pages already
 * wait — the queue holds the images, so waiting instead would not bound memory. A caller feeding
 * many pages should keep about `size * 2` in flight and rasterize the next one as each completes.
 */
export class OcrPool {
  private readonly slots = new Set<Slot>();
  private readonly queue: Job[] = [];
  private readonly spawning = new Set<Promise<void>>();
  private readonly running = new Set<Promise<void>>();
  private readonly counters: OcrPoolStats = { workersStarted: 0, workersRecycled: 0, workersReplaced: 0, pagesRecognized: 0, pagesFailed: 0 };
  private closed = false;
  private closing?: Promise<void>;
  /** Lets go of the engine compiled for this pool's threads (tesseract-core.js). */
  private releaseCore: () => void = () => undefined;

  private constructor(
    private readonly settings: Required<Omit<OcrPoolOptions, 'parameters' | 'onPageRecognised'>> & {
      parameters: Record<string, string>;
      onPageRecognised?: (seconds: number, queuedSeconds: number) => void;
    },
  ) {}

  static async start(options: OcrPoolOptions = {}): Promise<OcrPool> {
    const workers = options.workers ?? availableParallelism();
    if (!Number.isInteger(workers) || workers < 1) throw new RangeError('workers must be a positive integer');
    const recycleAfterJobs = options.recycleAfterJobs ?? 200;
    if (!Number.isInteger(recycleAfterJobs) || recycleAfterJobs < 0) throw new RangeError('recycleAfterJobs must be a non-negative integer');
    const preprocess = options.preprocess ?? 'smooth-bilevel';
    if (!OCR_PREPROCESSING.includes(preprocess)) throw new RangeError(`preprocess must be one of ${OCR_PREPROCESSING.join(', ')}`);
    const bundled = bundledEnglishData();
    const langPath = options.langPath ?? bundled.langPath;
    const gzip = options.gzip ?? (options.langPath ? true : bundled.gzip);
    const dataFile = join(langPath, `eng.traineddata${gzip ? '.gz' : ''}`);
    try {
      await access(dataFile);
    } catch {
      // tesseract.js never settles createWorker() when the data is missing: refuse up front.
      throw new OcrEngineError(`OCR language data not found: ${dataFile}`);
    }
    const pool = new OcrPool({
      workers,
      recycleAfterJobs,
      maxQueued: options.maxQueued ?? workers * 16,
      pageTimeoutMs: options.pageTimeoutMs ?? 120_000,
      psm: options.psm ?? PSM.SINGLE_BLOCK,
      oem: options.oem ?? OEM.LSTM_ONLY,
      langPath,
      gzip,
      parameters: { ...DEFAULT_OCR_PARAMETERS, ...options.parameters },
      preprocess,
      clinicalLexicon: options.clinicalLexicon ?? true,
      onPageRecognised: options.onPageRecognised,
    });
    try {
      pool.releaseCore = await holdSharedTesseractCore();
      await Promise.all(Array.from({ length: workers }, () => pool.addSlot()));
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  /** Number of live workers. */
  get size(): number {
    return this.slots.size;
  }

  get stats(): OcrPoolStats {
    return { ...this.counters };
  }

  /** Pages waiting for a worker (not counting those being recognized). */
  get queued(): number {
    return this.queue.length;
  }

  /** Recognizes one page image: PBM/PGM (cheapest), PNG, JPEG, TIFF or BMP bytes. */
  recognize(image: Buffer, options: OcrPageOptions = {}): Promise<PageOcr> {
    if (this.closed) return Promise.reject(new OcrPoolClosedError('OCR pool is closed'));
    if (this.queue.length >= this.settings.maxQueued) {
      return Promise.reject(new OcrQueueFullError(`OCR queue is full (${this.settings.maxQueued} pages waiting)`));
    }
    const parameters: Record<string, string> = {};
    const { dpi } = options;
    if (dpi !== undefined && Number.isFinite(dpi) && dpi >= MIN_CREDIBLE_DPI && dpi <= MAX_CREDIBLE_DPI) {
      parameters.user_defined_dpi = String(Math.round(dpi));
    }
    return new Promise<PageOcr>((resolve, reject) => {
      this.queue.push({ image, parameters, queuedAt: performance.now(), resolve, reject });
      this.dispatch();
    });
  }

  /**
   * Refuses new pages, fails those still queued with OcrPoolClosedError, lets the pages in progress
   * finish, then terminates every worker.
   */
  close(): Promise<void> {
    if (!this.closing) {
      this.closed = true;
      for (const job of this.queue.splice(0)) job.reject(new OcrPoolClosedError('OCR pool closed before the page was recognized'));
      this.closing = this.drainAndTerminate();
    }
    return this.closing;
  }

  private async drainAndTerminate(): Promise<void> {
    while (this.spawning.size > 0 || this.running.size > 0) {
      await Promise.allSettled([...this.spawning, ...this.running]);
    }
    await Promise.all([...this.slots].map((slot) => this.retire(slot)));
    this.releaseCore();
  }

  private addSlot(): Promise<void> {
    const spawn = this.spawnWorker().then((worker) => {
      const slot: Slot = { worker, jobsDone: 0, retiring: false, exited: this.watchThread(worker, () => slot) };
      this.slots.add(slot);
      this.counters.workersStarted += 1;
      // Once closed, drainAndTerminate() ends it.
      if (!this.closed) this.dispatch();
    });
    const tracked = spawn.finally(() => this.spawning.delete(tracked));
    this.spawning.add(tracked);
    return tracked;
  }

  private async spawnWorker(): Promise<TesseractWorker> {
    const { langPath, gzip, oem, psm, parameters, clinicalLexicon } = this.settings;
    let starting = true;
    let failStart: (error: Error) => void = () => undefined;
    const startFailed = new Promise<never>((_, reject) => {
      failStart = reject;
    });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new OcrEngineError('OCR worker did not start in time')), START_TIMEOUT_MS);
    });
    // Dictionaries are loaded at initialization only: the lexicon goes in the init config (a
    // tesseract config file's text; its typed object form knows only the load_*_dawg switches).
    const initConfig = clinicalLexicon ? `user_words_file ${CLINICAL_LEXICON_ENGINE_PATH}\n` : undefined;
    const created = createWorker(
      'eng',
      oem,
      {
        langPath,
        gzip,
        // No cache: nothing written to the working directory, nothing stale to read back.
        cacheMethod: 'none',
        workerBlobURL: false,
        // tesseract.js's worker script, started at a lower priority than the request thread.
        workerPath: ocrThreadPath(),
        legacyCore: false,
        legacyLang: false,
        // Without a handler tesseract.js throws a failed job's error from its message listener,
        // which would take the whole process down; the job's own promise rejects anyway.
        errorHandler: (message: unknown) => {
          if (starting) failStart(new OcrEngineError(`OCR worker failed to start: ${String(message)}`));
        },
      },
      initConfig,
    );
    try {
      const worker = await Promise.race([created, startFailed, timedOut]);
      await worker.setParameters({ tessedit_pageseg_mode: psm, ...parameters });
      // tesseract read the model whole at initialization; its copy in the worker's in-memory file
      // system (~5 MB a worker for best_int eng) would only sit there. Nothing re-initializes.
      await worker.FS('unlink', ['eng.traineddata']).catch(() => undefined);
      return worker;
    } catch (error) {
      // Do not leave a half-started thread behind if it does start after all.
      created.then((late) => late.terminate()).catch(() => undefined);
      throw error instanceof OcrEngineError ? error : new OcrEngineError('OCR worker failed to start', { cause: error });
    } finally {
      starting = false;
      clearTimeout(timer);
    }
  }

  /**
   * A worker thread that dies (WASM abort, out of memory) fails its page and is replaced.
   * Resolves when the thread has ended.
   */
  private watchThread(worker: TesseractWorker, slotOf: () => Slot): Promise<void> {
    // tesseract.js exposes its node thread as `worker`; it listens to neither 'error' nor 'exit'.
    const thread = (worker as unknown as { worker?: ThreadWorker }).worker;
    if (!thread) return Promise.resolve();
    const onFailure = (reason: string) => {
      const slot = slotOf();
      if (slot.retiring) return;
      slot.onThreadFailure?.(new OcrEngineError(`OCR worker ${reason}`));
      if (!slot.current) {
        this.counters.workersReplaced += 1;
        void this.replace(slot);
      }
    };
    thread.on('error', () => onFailure('crashed'));
    return new Promise<void>((resolve) => {
      thread.once('exit', () => {
        resolve();
        onFailure('exited');
      });
    });
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (slot.current || slot.retiring) continue;
      const run = this.run(slot, this.queue.shift() as Job);
      this.running.add(run);
      void run.finally(() => this.running.delete(run));
    }
  }

  private async run(slot: Slot, job: Job): Promise<void> {
    slot.current = job;
    let healthy = true;
    let timer: NodeJS.Timeout | undefined;
    const started = performance.now();
    try {
      const interrupted = new Promise<never>((_, reject) => {
        slot.onThreadFailure = reject;
        timer = setTimeout(() => reject(new OcrTimeoutError(`OCR of a page exceeded ${this.settings.pageTimeoutMs} ms`)), this.settings.pageTimeoutMs);
      });
      // Per-page tesseract parameters travel with the recognize options (set, then restored).
      const options = { ...job.parameters, [OCR_PREPROCESS_OPTION]: this.settings.preprocess } as unknown as Partial<TesseractRecognizeOptions>;
      const recognized = slot.worker.recognize(job.image, options, { text: true, tsv: true });
      const { data } = await Promise.race([recognized, interrupted]);
      const words = wordsFromTsv(data.tsv ?? '');
      this.counters.pagesRecognized += 1;
      this.settings.onPageRecognised?.((performance.now() - started) / 1000, (started - job.queuedAt) / 1000);
      job.resolve({ text: data.text ?? '', confidence: meanConfidence(words), words });
    } catch (error) {
      // After a timeout or a failure inside tesseract the WASM state is not trusted again.
      healthy = false;
      this.counters.pagesFailed += 1;
      job.reject(error instanceof OcrError ? error : engineFailure(error));
    } finally {
      clearTimeout(timer);
      slot.onThreadFailure = undefined;
      slot.current = undefined;
      slot.jobsDone += 1;
    }
    const recycle = this.settings.recycleAfterJobs > 0 && slot.jobsDone >= this.settings.recycleAfterJobs;
    if (this.closed) return;
    if (!healthy) this.counters.workersReplaced += 1;
    else if (recycle) this.counters.workersRecycled += 1;
    if (!healthy || recycle) await this.replace(slot);
    else this.dispatch();
  }

  private retire(slot: Slot): Promise<void> {
    if (!slot.retired) {
      slot.retiring = true;
      slot.retired = (async () => {
        try {
          await slot.worker.terminate();
          await slot.exited;
        } finally {
          this.slots.delete(slot);
        }
      })();
    }
    return slot.retired;
  }

  private async replace(slot: Slot): Promise<void> {
    await this.retire(slot);
    if (this.closed) return;
    try {
      await this.addSlot();
    } catch (error) {
      // With no worker left nothing would ever take the queued pages: fail them.
      if (this.slots.size === 0 && this.spawning.size === 0) {
        for (const job of this.queue.splice(0)) job.reject(error as Error);
      }
    }
  }
}

/** tesseract.js rejects with the engine's message as a string (about the image, never its text). */
function engineFailure(error: unknown): OcrEngineError {
  if (error instanceof Error) return new OcrEngineError(`OCR failed on the page: ${error.message}`, { cause: error });
  return new OcrEngineError(`OCR failed on the page: ${String(error)}`);
}
