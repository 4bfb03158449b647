'use strict';
/*
 * The tesseract.js-core build the OCR threads run, compiled once and shared by them.
 *
 * Each tesseract.js worker otherwise compiles the engine's WebAssembly (2.8 MB) on its own, and V8
 * then optimises the hot functions of every copy apart: measured here, the first page of each new
 * worker took ~270 ms longer than the next, and the optimising compiler spent ~0.3 s of CPU per
 * worker in V8's background threads. A WebAssembly.Module handed to other threads shares its
 * compiled code, the optimised code included, so a worker started beside a warm one (a second
 * worker, a recycled or replaced one) finds it already compiled.
 *
 * The pool (shared-tesseract-core.ts) compiles the module and publishes it as environment data
 * for the threads started next; an OCR thread instantiates the published module when it is the
 * build it would load itself, and compiles its own copy otherwise. Plain JavaScript: the OCR
 * thread loads it.
 */
const { readFile } = require('node:fs/promises');
const { getEnvironmentData } = require('node:worker_threads');
const { relaxedSimd, simd } = require('wasm-feature-detect');

/** The environment data holding `{ build, module }` (worker_threads.setEnvironmentData). */
const SHARED_CORE_KEY = 'medrec.ocr.tesseract-core';

/** The LSTM-only build this runtime can run fastest (tesseract.js's own choice for OEM LSTM_ONLY). */
async function tesseractCoreBuild() {
  if (await relaxedSimd()) return 'tesseract-core-relaxedsimd-lstm';
  if (await simd()) return 'tesseract-core-simd-lstm';
  return 'tesseract-core-lstm';
}

/** The build's WebAssembly, compiled (lazily: V8 compiles each function when first called), as published. */
async function compileTesseractCore() {
  const build = await tesseractCoreBuild();
  const module = await WebAssembly.compile(await readFile(require.resolve(`tesseract.js-core/${build}.wasm`)));
  return { build, module };
}

/**
 * For tesseract.js's worker script (its adapter's getCore): the engine's factory, instantiating the
 * published module when there is one of this build.
 */
async function getSharedCore() {
  const build = await tesseractCoreBuild();
  const TesseractCore = require(`tesseract.js-core/${build}`);
  const shared = getEnvironmentData(SHARED_CORE_KEY);
  if (!shared || shared.build !== build || !(shared.module instanceof WebAssembly.Module)) return TesseractCore;
  return (options) =>
    TesseractCore({
      ...options,
      // Emscripten's hook: instantiate our compiled module instead of compiling the bytes again.
      instantiateWasm(imports, instantiated) {
        WebAssembly.instantiate(shared.module, imports).then((instance) => instantiated(instance, shared.module));
        return {};
      },
    });
}

module.exports = { SHARED_CORE_KEY, tesseractCoreBuild, compileTesseractCore, getSharedCore };
