import { Worker } from 'node:worker_threads';
import { IngestRefusal, IngestRefusalReason } from '../inspect/ingest-refusal';
import { pdfWorkerPath } from '../thread-entry-path';

export type PdfSource = { path: string } | { data: Uint8Array };

export interface PdfWorkerSettings {
  maxPixelsPerPage: number;
  /** Checked before any page is read (inspection); rasterizing takes whatever was accepted. */
  maxPages?: number;
  /** Resolution of pages that show no image to take one from. */
  vectorDpi: number;
  /** Page shape limits (see page-shape.ts): the box's aspect before its content is parsed, the narrow side in pixels once planned. */
  minPageSidePixels: number;
  maxPageAspectRatio: number;
}

/**
 * Requests of pdf-worker.mjs (see its header for the protocol); `render` paints one page, text layer
 * or not, and with `pdfjs` renders it with pdf.js even when it is an embedded scan.
 */
export type PdfWorkerRequest = { type: 'inspect' | 'next' } | { type: 'render'; page: number; pdfjs?: boolean };

/**
 * A page that is one scan drawn 1:1 over the whole page, as its embedded image (scanned-pages.mjs):
 * what pdf.js would paint, still encoded. `dpi` is the resolution pdf.js would render the page at.
 */
export type EmbeddedScan =
  | { kind: 'jpeg'; bytes: Uint8Array; width: number; height: number; channels: 1 | 3; dpi: number }
  | { kind: 'ccitt'; bytes: Uint8Array; width: number; height: number; blackIs1: boolean; dpi: number };

/** Replies of pdf-worker.mjs (see its header for the protocol). */
export type PdfWorkerReply =
  | { type: 'inspected'; pages: number; textLayerPages: number; embeddedScans: boolean }
  | { type: 'page'; page: number; textLayer: string }
  | { type: 'page'; page: number; image: { gray: Uint8Array; width: number; height: number; dpi: number } }
  | { type: 'page'; page: number; scan: EmbeddedScan }
  | { type: 'end' };

type WireReply =
  PdfWorkerReply | { type: 'closed'; heapBytes: number } | { type: 'refused'; reason: IngestRefusalReason } | { type: 'failed'; name: string; message: string };

export type PdfWorkerFailureKind = 'timeout' | 'out-of-memory' | 'crashed' | 'failed' | 'aborted';

/** The worker could not answer: it ran out of time or memory, died, or hit an unexpected error. */
export class PdfWorkerFailure extends Error {
  constructor(
    readonly kind: PdfWorkerFailureKind,
    message: string,
  ) {
    super(message);
    this.name = 'PdfWorkerFailure';
  }
}

// pdf.js keeps its own structures on the worker's heap; image and canvas buffers live outside it.
const MAX_WORKER_HEAP_MB = 1024;

/**
 * Threads that ended a document cleanly wait here for the next one: starting a thread and loading
 * pdf.js into it costs more CPU than rendering a page (measured ~0.5 s a document). At most
 * MAX_IDLE_THREADS wait, each for at most IDLE_THREAD_MS; a thread serves at most
 * MAX_DOCUMENTS_PER_THREAD documents, and one whose heap grew past REUSE_MAX_HEAP_BYTES (a large
 * document) is ended instead of kept. A thread that failed, timed out or refused a document is
 * never reused.
 */
const MAX_IDLE_THREADS = 2;
const IDLE_THREAD_MS = 15_000;
const MAX_DOCUMENTS_PER_THREAD = 100;
const REUSE_MAX_HEAP_BYTES = 96 * 1024 * 1024;
const CLOSE_TIMEOUT_MS = 5_000;

interface PdfThread {
  worker: Worker;
  documents: number;
  exited: boolean;
  idleTimer?: NodeJS.Timeout;
}

const idleThreads: PdfThread[] = [];

function takeThread(): PdfThread {
  for (let idle = idleThreads.pop(); idle; idle = idleThreads.pop()) {
    clearTimeout(idle.idleTimer);
    idle.idleTimer = undefined;
    if (!idle.exited) return idle;
  }
  const worker = new Worker(pdfWorkerPath(), {
    resourceLimits: { maxOldGenerationSizeMb: MAX_WORKER_HEAP_MB },
    // Whatever the worker might print could quote the document: keep it from the process's own
    // output. The worker writes nothing there (pdf-worker.mjs silences its console and stdio), and
    // these streams are not read: a stream being read would keep the process alive.
    stdout: true,
    stderr: true,
  });
  // Idle, the thread must not keep the process alive; it is referenced while a request is pending.
  worker.unref();
  const thread: PdfThread = { worker, documents: 0, exited: false };
  // The document's PdfWorker reports failures; these keep an idle thread's from going unhandled.
  worker.on('error', () => undefined);
  worker.once('exit', () => (thread.exited = true));
  return thread;
}

function parkThread(thread: PdfThread): void {
  if (thread.exited || idleThreads.length >= MAX_IDLE_THREADS || thread.documents >= MAX_DOCUMENTS_PER_THREAD) {
    void thread.worker.terminate();
    return;
  }
  thread.idleTimer = setTimeout(() => {
    const index = idleThreads.indexOf(thread);
    if (index >= 0) idleThreads.splice(index, 1);
    void thread.worker.terminate();
  }, IDLE_THREAD_MS);
  thread.idleTimer.unref();
  idleThreads.push(thread);
}

/**
 * A pdf.js worker thread for one document, asked one thing at a time. Refusals (encrypted,
 * corrupt, too many pages or pixels) arrive as IngestRefusal; anything else as PdfWorkerFailure.
 * Always close() it (the generator and inspection do so in `finally`): the thread then goes back
 * to the idle threads or ends.
 */
export class PdfWorker {
  private readonly thread: PdfThread;
  private readonly worker: Worker;
  private waiting?: { resolve: (reply: WireReply) => void; reject: (error: Error) => void };
  private failure?: Error;
  /** Set when the thread must not serve another document (refusal, failure, timeout). */
  private tainted = false;
  private closing?: Promise<void>;
  private readonly onMessage = (reply: WireReply) => this.settle(reply);
  private readonly onError = (error: Error & { code?: string }) =>
    this.fail(
      error.code === 'ERR_WORKER_OUT_OF_MEMORY'
        ? new PdfWorkerFailure('out-of-memory', 'The PDF needs more memory than a worker may use')
        : new PdfWorkerFailure('crashed', `The PDF worker failed (${error.name})`),
    );
  private readonly onExit = (code: number) => this.fail(new PdfWorkerFailure('crashed', `The PDF worker exited (code ${code})`));

  constructor(
    source: PdfSource,
    private readonly settings: PdfWorkerSettings,
  ) {
    this.thread = takeThread();
    this.thread.documents += 1;
    this.worker = this.thread.worker;
    this.worker.on('message', this.onMessage);
    this.worker.on('error', this.onError);
    this.worker.on('exit', this.onExit);
    // Bytes are copied (structured clone): the caller's buffer is left as it was.
    this.worker.postMessage({ type: 'open', source, ...settings });
  }

  /**
   * One request, answered within `timeoutMs`. When `signal` aborts first (the caller gave up), the
   * thread is ended at once, whatever pdf.js was doing, and this rejects with PdfWorkerFailure 'aborted'.
   */
  async request(message: PdfWorkerRequest, timeoutMs: number, signal?: AbortSignal): Promise<PdfWorkerReply> {
    if (this.failure) throw this.failure;
    if (this.closing) throw new PdfWorkerFailure('crashed', 'The PDF worker was closed');
    const reply = await this.send(message, timeoutMs, signal);
    if (reply.type === 'refused') {
      this.tainted = true;
      throw this.refusal(reply.reason);
    }
    if (reply.type === 'failed') {
      this.tainted = true;
      throw new PdfWorkerFailure('failed', `pdf.js failed (${reply.name})`);
    }
    if (reply.type === 'closed') throw new Error('Unexpected reply from the PDF worker: closed');
    return reply;
  }

  /** Ends the document; the thread goes back to the idle ones when it ended it cleanly. */
  close(): Promise<void> {
    this.closing ??= this.release();
    return this.closing;
  }

  private async release(): Promise<void> {
    let reusable = !this.failure && !this.tainted && !this.waiting;
    if (reusable) {
      try {
        const reply = await this.send({ type: 'close' }, CLOSE_TIMEOUT_MS);
        reusable = reply.type === 'closed' && reply.heapBytes <= REUSE_MAX_HEAP_BYTES;
      } catch {
        reusable = false;
      }
    }
    this.failure ??= new PdfWorkerFailure('crashed', 'The PDF worker was closed');
    this.worker.off('message', this.onMessage);
    this.worker.off('error', this.onError);
    this.worker.off('exit', this.onExit);
    if (reusable) parkThread(this.thread);
    else await this.worker.terminate();
  }

  private async send(message: PdfWorkerRequest | { type: 'close' }, timeoutMs: number, signal?: AbortSignal): Promise<WireReply> {
    if (this.failure) throw this.failure;
    if (this.waiting) throw new Error('PdfWorker takes one request at a time');
    if (signal?.aborted) throw new PdfWorkerFailure('aborted', 'The request was abandoned');
    const reply = await new Promise<WireReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(new PdfWorkerFailure('timeout', `The PDF took longer than ${Math.round(timeoutMs / 1000)} s to process`));
        void this.worker.terminate();
      }, timeoutMs);
      const onAbort = () => {
        this.fail(new PdfWorkerFailure('aborted', 'The request was abandoned'));
        void this.worker.terminate();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.worker.unref();
      };
      this.waiting = {
        resolve: (value) => (done(), resolve(value)),
        reject: (error) => (done(), reject(error)),
      };
      this.worker.ref();
      this.worker.postMessage(message);
    });
    return reply;
  }

  private settle(reply: WireReply): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.resolve(reply);
  }

  private fail(error: Error): void {
    this.failure ??= error;
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.reject(this.failure);
  }

  private refusal(reason: IngestRefusalReason): IngestRefusal {
    switch (reason) {
      case 'encrypted':
        return new IngestRefusal(reason, 'The PDF is password-protected; upload it without a password');
      case 'too-many-pages':
        return new IngestRefusal(reason, `The document has more than the ${this.settings.maxPages} pages allowed`);
      case 'too-many-pixels':
        return new IngestRefusal(reason, `A page is larger than the ${this.settings.maxPixelsPerPage} pixels allowed at its native resolution`);
      case 'page-too-narrow':
        return new IngestRefusal(reason, `A page is narrower than the ${this.settings.minPageSidePixels} pixels allowed at the resolution it would be read at`);
      case 'page-too-elongated':
        return new IngestRefusal(reason, `A page is more than ${this.settings.maxPageAspectRatio} times longer than it is wide`);
      default:
        return new IngestRefusal('corrupt', 'The PDF is damaged and cannot be read');
    }
  }
}
