import { readFileSync } from 'node:fs';
// The package's CommonJS build (its `require` export): no ESM loader needed, under jest either.
import * as zxing from 'zxing-wasm/reader';
import type { ReaderOptions, ReadResult } from 'zxing-wasm/reader';

type ZxingReader = typeof zxing;

let reader: Promise<ZxingReader> | undefined;

/**
 * zxing-wasm's reader, its WebAssembly read from the package itself. Left to itself the package
 * fetches the .wasm from a CDN (its default locateFile): the binary is handed over here, and
 * locateFile points into node_modules, so that nothing is ever fetched and a missing file fails
 * loudly at the first decode instead of reaching for the network.
 */
export function zxingReader(): Promise<ZxingReader> {
  reader ??= load().catch((error: unknown) => {
    reader = undefined;
    throw error;
  });
  return reader;
}

/** Where the reader's WebAssembly is: inside the installed package (its exports map names it). */
export const ZXING_READER_WASM = require.resolve('zxing-wasm/reader/zxing_reader.wasm');

async function load(): Promise<ZxingReader> {
  const wasm = readFileSync(ZXING_READER_WASM);
  await zxing.prepareZXingModule({
    overrides: {
      wasmBinary: wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength),
      locateFile: (path: string) => (path.endsWith('.wasm') ? ZXING_READER_WASM : path),
    },
    fireImmediately: true,
  });
  return zxing;
}

/** Reads the codes in an 8-bit grayscale image, handed over as PGM (no copy into RGBA and back). */
export async function readGrayCodes(gray: Uint8Array, width: number, height: number, options: ReaderOptions): Promise<ReadResult[]> {
  if (gray.length !== width * height) throw new Error(`Expected ${width * height} grayscale bytes, got ${gray.length}`);
  const zxing = await zxingReader();
  const header = Buffer.from(`P5\n${width} ${height}\n255\n`, 'ascii');
  const pgm = new Uint8Array(header.length + gray.length);
  pgm.set(header, 0);
  pgm.set(gray, header.length);
  return zxing.readBarcodes(pgm, options);
}
