import { Worker } from 'node:worker_threads';
import { IngestRefusal, IngestRefusalReason } from '../inspect/ingest-refusal';
import { pdfWorkerPath } from './pdf-worker-path';

export type PdfSource = { path: string } | { data: Uint8Array };

export interface PdfWorkerSettings {
  maxPixelsPerPage: number;
  /** Checked before any page is read (inspection); rasterizing takes whatever was accepted. */
  maxPages?: number;
  /** Resolution of pages that show no image to take one from. */
  vectorDpi: number;
}

/** Replies of pdf-worker.mjs (see its header for the protocol). */
export type PdfWorkerReply =
  | { type: 'inspected'; pages: number; textLayerPages: number }
  | { type: 'page'; page: number; textLayer: string }
  | { type: 'page'; page: number; image: { gray: Uint8Array; width: number; height: number; dpi: number } }
  | { type: 'end' };

type WireReply = PdfWorkerReply | { type: 'refused'; reason: IngestRefusalReason } | { type: 'failed'; name: string; message: string };

export type PdfWorkerFailureKind = 'timeout' | 'out-of-memory' | 'crashed' | 'failed';

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
 * One pdf.js worker thread for one document, asked one thing at a time. Refusals (encrypted,
 * corrupt, too many pages or pixels) arrive as IngestRefusal; anything else as PdfWorkerFailure.
 * Always close() it (the generator and inspection do so in `finally`).
 */
export class PdfWorker {
  private readonly worker: Worker;
  private waiting?: { resolve: (reply: WireReply) => void; reject: (error: Error) => void };
  private failure?: Error;

  constructor(
    source: PdfSource,
    private readonly settings: PdfWorkerSettings,
  ) {
    this.worker = new Worker(pdfWorkerPath(), {
      workerData: { source, ...settings },
      resourceLimits: { maxOldGenerationSizeMb: MAX_WORKER_HEAP_MB },
      // Whatever the worker might print could quote the document: swallow it.
      stdout: true,
      stderr: true,
    });
    this.worker.stdout.resume();
    this.worker.stderr.resume();
    this.worker.on('message', (reply: WireReply) => this.settle(reply));
    this.worker.on('error', (error: Error & { code?: string }) =>
      this.fail(
        error.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? new PdfWorkerFailure('out-of-memory', 'The PDF needs more memory than a worker may use')
          : new PdfWorkerFailure('crashed', `The PDF worker failed (${error.name})`),
      ),
    );
    this.worker.on('exit', (code) => this.fail(new PdfWorkerFailure('crashed', `The PDF worker exited (code ${code})`)));
    // Idle, the thread must not keep the process alive; it is referenced while a request is pending.
    this.worker.unref();
  }

  async request(message: { type: 'inspect' | 'next' }, timeoutMs: number): Promise<PdfWorkerReply> {
    if (this.failure) throw this.failure;
    if (this.waiting) throw new Error('PdfWorker takes one request at a time');
    const reply = await new Promise<WireReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(new PdfWorkerFailure('timeout', `The PDF took longer than ${Math.round(timeoutMs / 1000)} s to process`));
        void this.worker.terminate();
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.worker.unref();
      };
      this.waiting = {
        resolve: (value) => (done(), resolve(value)),
        reject: (error) => (done(), reject(error)),
      };
      this.worker.ref();
      this.worker.postMessage(message);
    });
    if (reply.type === 'refused') throw this.refusal(reply.reason);
    if (reply.type === 'failed') throw new PdfWorkerFailure('failed', `pdf.js failed (${reply.name})`);
    return reply;
  }

  async close(): Promise<void> {
    this.failure ??= new PdfWorkerFailure('crashed', 'The PDF worker was closed');
    await this.worker.terminate();
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
      default:
        return new IngestRefusal('corrupt', 'The PDF is damaged and cannot be read');
    }
  }
}
