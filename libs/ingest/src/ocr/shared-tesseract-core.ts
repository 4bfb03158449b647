import { join } from 'node:path';
import { setEnvironmentData } from 'node:worker_threads';
import { threadEntryPath } from '../thread-entry-path';

type TesseractCoreModule = typeof import('./tesseract-core');

/** tesseract-core.js, the OCR threads' side: plain JavaScript, which tsc does not copy to dist/. */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- found at run time in the source tree
const threadSide = (): TesseractCoreModule => require(threadEntryPath(join('libs', 'ingest', 'src', 'ocr', 'tesseract-core.js'))) as TesseractCoreModule;

let published: { compiling: Promise<void>; holders: number } | undefined;

/**
 * Compiles the engine's WebAssembly once and publishes it to the OCR threads started from now on
 * (see tesseract-core.js for why). Held by each live pool: when the last one lets go, it is
 * unpublished, and its code goes with the last thread using it.
 */
export async function holdSharedTesseractCore(): Promise<() => void> {
  if (!published) {
    const compiling = (async () => {
      const { SHARED_CORE_KEY, compileTesseractCore } = threadSide();
      setEnvironmentData(SHARED_CORE_KEY, await compileTesseractCore());
    })();
    const entry = { compiling, holders: 0 };
    published = entry;
    compiling.catch(() => {
      if (published === entry) published = undefined;
    });
  }
  const held = published;
  held.holders += 1;
  try {
    await held.compiling;
  } catch (error) {
    held.holders -= 1;
    throw error;
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    held.holders -= 1;
    if (held.holders === 0 && published === held) {
      published = undefined;
      setEnvironmentData(threadSide().SHARED_CORE_KEY, undefined);
    }
  };
}
