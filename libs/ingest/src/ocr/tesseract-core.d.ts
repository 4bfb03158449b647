/** The environment data holding `{ build, module }` for the OCR threads. */
export const SHARED_CORE_KEY: string;

/** The LSTM-only tesseract.js-core build this runtime can run fastest, e.g. 'tesseract-core-simd-lstm'. */
export function tesseractCoreBuild(): Promise<string>;

/** The build's WebAssembly compiled, as published under SHARED_CORE_KEY (the module typed opaque here). */
export function compileTesseractCore(): Promise<{ build: string; module: object }>;

/** For the OCR thread's tesseract.js adapter: the engine's factory, from the published module when there is one. */
export function getSharedCore(): Promise<unknown>;
