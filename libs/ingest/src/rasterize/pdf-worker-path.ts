import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

const ENTRY = join('libs', 'ingest', 'src', 'rasterize', 'pdf-worker.mjs');
let resolved: string | undefined;

/**
 * The worker entry is plain .mjs, which tsc does not copy to dist/: from source (jest) or from
 * dist/ alike, walk up to the repository root (the folder with package.json) and take it from
 * the source tree there. Deployments must ship libs/ingest/src/rasterize/*.mjs.
 */
export function pdfWorkerPath(): string {
  if (resolved) return resolved;
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const candidate = join(dir, ENTRY);
    if (existsSync(join(dir, 'package.json')) && existsSync(candidate)) return (resolved = candidate);
    if (dirname(dir) === dir) throw new Error(`The PDF worker (${ENTRY}) was not found above ${__dirname}`);
  }
}
