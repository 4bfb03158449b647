import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

const resolved = new Map<string, string>();

/**
 * Thread entries are plain JavaScript (.js, .mjs), which tsc does not copy to dist/: from source
 * (jest) or from dist/ alike, walk up to the repository root (the folder with package.json) and
 * take the entry from the source tree there. Deployments must ship these files (see the Dockerfile).
 */
export function threadEntryPath(entry: string): string {
  const known = resolved.get(entry);
  if (known) return known;
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const candidate = join(dir, entry);
    if (existsSync(join(dir, 'package.json')) && existsSync(candidate)) {
      resolved.set(entry, candidate);
      return candidate;
    }
    if (dirname(dir) === dir) throw new Error(`The thread entry ${entry} was not found above ${__dirname}`);
  }
}

/** The PDF worker's entry (inspection and rasterizing with pdfjs-dist). */
export const pdfWorkerPath = (): string => threadEntryPath(join('libs', 'ingest', 'src', 'rasterize', 'pdf-worker.mjs'));

/** An OCR thread's entry: tesseract.js's worker script at a lower priority, with the page preprocessing (ocr-thread.js). */
export const ocrThreadPath = (): string => threadEntryPath(join('libs', 'ingest', 'src', 'ocr', 'ocr-thread.js'));
