import { Presets, SingleBar } from 'cli-progress';
import type { Writable } from 'node:stream';

/** What the progress display is told; it computes rate and ETA itself. */
export interface IngestProgress {
  start(files: number, bytes: number): void;
  /** A file uploaded (or refused or failed after trying): `pages` as the server counted them. */
  uploaded(bytes: number, pages: number): void;
  /** A file skipped without uploading: it leaves the ETA's remaining work. */
  skipped(bytes: number): void;
  stop(): void;
}

interface Figures {
  done: number;
  total: number;
  pages: number;
  pagesPerMinute: number | undefined;
  etaSeconds: number | undefined;
}

/** A redrawn bar when `stream` is a terminal, else one plain line every `intervalMs` and at the end. */
export function createIngestProgress(stream: Writable & { isTTY?: boolean }, options: { intervalMs?: number; now?: () => number } = {}): IngestProgress {
  return stream.isTTY ? new BarProgress(stream, options.now) : new LineProgress(stream, options.intervalMs ?? 10_000, options.now);
}

/** Counts and derived figures: the rate is of pages, the ETA from the bytes left at the upload speed so far. */
class ProgressFigures {
  private files = 0;
  private done = 0;
  private pages = 0;
  private bytesLeft = 0;
  private bytesUploaded = 0;
  private startedAt = 0;

  constructor(private readonly now: () => number) {}

  start(files: number, bytes: number): void {
    this.files = files;
    this.bytesLeft = bytes;
    this.startedAt = this.now();
  }

  uploaded(bytes: number, pages: number): void {
    this.done++;
    this.pages += pages;
    this.bytesLeft -= bytes;
    this.bytesUploaded += bytes;
  }

  skipped(bytes: number): void {
    this.done++;
    this.bytesLeft -= bytes;
  }

  current(): Figures {
    const elapsedMs = Math.max(1, this.now() - this.startedAt);
    const hasRate = this.bytesUploaded > 0;
    return {
      done: this.done,
      total: this.files,
      pages: this.pages,
      pagesPerMinute: hasRate ? (this.pages * 60_000) / elapsedMs : undefined,
      etaSeconds: hasRate ? Math.max(0, this.bytesLeft) / (this.bytesUploaded / (elapsedMs / 1000)) : undefined,
    };
  }
}

class BarProgress implements IngestProgress {
  private readonly figures: ProgressFigures;
  private readonly bar: SingleBar;

  constructor(stream: Writable, now: () => number = Date.now) {
    this.figures = new ProgressFigures(now);
    this.bar = new SingleBar(
      {
        stream,
        format: 'ingest [{bar}] {value}/{total} files | {pages} pages | {rate} pages/min | ETA {etaText}',
        hideCursor: true,
        clearOnComplete: false,
        barsize: 30,
      },
      Presets.shades_classic,
    );
  }

  start(files: number, bytes: number): void {
    this.figures.start(files, bytes);
    this.bar.start(files, 0, this.payload());
  }

  uploaded(bytes: number, pages: number): void {
    this.figures.uploaded(bytes, pages);
    this.bar.update(this.figures.current().done, this.payload());
  }

  skipped(bytes: number): void {
    this.figures.skipped(bytes);
    this.bar.update(this.figures.current().done, this.payload());
  }

  stop(): void {
    this.bar.update(this.figures.current().done, this.payload());
    this.bar.stop();
  }

  private payload() {
    const f = this.figures.current();
    return { pages: f.pages, rate: formatRate(f.pagesPerMinute), etaText: formatEta(f.etaSeconds, f.done === f.total) };
  }
}

class LineProgress implements IngestProgress {
  private readonly figures: ProgressFigures;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly stream: Writable,
    private readonly intervalMs: number,
    now: () => number = Date.now,
  ) {
    this.figures = new ProgressFigures(now);
  }

  start(files: number, bytes: number): void {
    this.figures.start(files, bytes);
    this.timer = setInterval(() => this.print(), this.intervalMs);
    this.timer.unref();
  }

  uploaded(bytes: number, pages: number): void {
    this.figures.uploaded(bytes, pages);
  }

  skipped(bytes: number): void {
    this.figures.skipped(bytes);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.print();
  }

  private print(): void {
    const f = this.figures.current();
    this.stream.write(
      `ingest: ${f.done}/${f.total} files, ${f.pages} pages, ${formatRate(f.pagesPerMinute)} pages/min, ETA ${formatEta(f.etaSeconds, f.done === f.total)}\n`,
    );
  }
}

function formatRate(pagesPerMinute: number | undefined): string {
  if (pagesPerMinute === undefined) return '-';
  return pagesPerMinute >= 10 ? String(Math.round(pagesPerMinute)) : pagesPerMinute.toFixed(1);
}

export function formatEta(seconds: number | undefined, finished = false): string {
  if (finished) return '0s';
  if (seconds === undefined || !Number.isFinite(seconds)) return '-';
  const s = Math.ceil(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
