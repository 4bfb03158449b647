'use strict';
/*
 * Entry of an OCR thread: tesseract.js's own worker script, recognising at a lower scheduling
 * priority than the request thread. On Linux the nice value belongs to each thread (setpriority on
 * "process" 0 changes the calling thread only), so recognition yields the cores to the HTTP
 * thread whenever that one has work, and still gets all of them while it is idle.
 * MEDREC_OCR_THREAD_NICE (0-19, default 10; validated at start-up) sets it. The engine's start
 * (~0.3 s of CPU, once per thread) runs at the process's priority: niced, it took 0.4-0.9 s
 * instead of ~0.2 while uploads kept the request thread busy, and the first pages waited for it.
 *
 * A page whose recognize request carries PREPROCESS_OPTION is preprocessed here first (see
 * preprocess/), off the request thread and at this thread's priority; the option itself is taken
 * out before tesseract sees the request.
 */
const { setPriority } = require('node:os');
const { parentPort } = require('node:worker_threads');
const worker = require('tesseract.js/src/worker-script');
const gunzip = require('tesseract.js/src/worker-script/node/gunzip');
const cache = require('tesseract.js/src/worker-script/node/cache');
const { PREPROCESS_OPTION, preprocessRecognizeRequest } = require('./preprocess/ocr-input');
const { getSharedCore } = require('./tesseract-core');
const { withClinicalLexicon } = require('./clinical-lexicon');

let niced = false;

/** From the first page on, this thread runs at MEDREC_OCR_THREAD_NICE. */
function lowerPriority() {
  niced = true;
  const nice = Number(process.env.MEDREC_OCR_THREAD_NICE ?? 10);
  if (!Number.isInteger(nice) || nice <= 0 || nice > 19) return;
  try {
    setPriority(0, nice);
  } catch {
    // Not permitted or not supported here: recognition runs at the process's priority.
  }
}

// As tesseract.js's worker-script/node/index.js, with the preprocessing in front of recognize.
parentPort.on('message', (packet) => {
  if (packet && packet.action === 'recognize') {
    if (!niced) lowerPriority();
    if (packet.payload && packet.payload.options && PREPROCESS_OPTION in packet.payload.options) preprocessRecognizeRequest(packet.payload);
  }
  worker.dispatchHandlers(packet, (obj) => parentPort.postMessage(obj));
});

// getCore: the engine compiled once for every OCR thread (tesseract-core.js), not once each, with
// the clinical lexicon in its file system for the pool to load (clinical-lexicon.js).
const getCore = async () => withClinicalLexicon(await getSharedCore());
worker.setAdapter({ getCore, gunzip, fetch: global.fetch, ...cache });
