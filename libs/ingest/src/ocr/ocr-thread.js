'use strict';
/*
 * Entry of an OCR thread: tesseract.js's own worker script, run at a lower scheduling priority
 * than the request thread. On Linux the nice value belongs to each thread (setpriority on
 * "process" 0 changes the calling thread only), so recognition yields the cores to the HTTP
 * thread whenever that one has work, and still gets all of them while it is idle.
 * MEDREC_OCR_THREAD_NICE (0-19, default 10; validated at start-up) sets it.
 */
const { setPriority } = require('node:os');

const nice = Number(process.env.MEDREC_OCR_THREAD_NICE ?? 10);
if (Number.isInteger(nice) && nice > 0 && nice <= 19) {
  try {
    setPriority(0, nice);
  } catch {
    // Not permitted or not supported here: recognition runs at the process's priority.
  }
}

require('tesseract.js/src/worker-script/node/index.js');
