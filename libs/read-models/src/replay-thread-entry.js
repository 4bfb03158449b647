'use strict';
/*
 * Entry of the replay thread. Plain JavaScript, so that the same file starts the thread from the
 * compiled tree (dist/) and from the TypeScript sources (tests, where TypeScript is transpiled
 * here, module by module: a worker thread gets none of jest's transforms). It resolves the
 * @medrec/* aliases the way scripts/run.js does, then loads replay-thread (or workerData.threadModule).
 */
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { workerData } = require('node:worker_threads');

const { root, fromSource } = workerData;
const tsconfigPaths = require(require.resolve('tsconfig-paths', { paths: [root] }));
const { compilerOptions } = require(join(root, 'tsconfig.json'));
tsconfigPaths.register({ baseUrl: fromSource ? root : join(root, 'dist'), paths: compilerOptions.paths });

if (fromSource) {
  const ts = require(require.resolve('typescript', { paths: [root] }));
  const options = {
    module: ts.ModuleKind.CommonJS,
    target: ts.ScriptTarget.ES2022,
    esModuleInterop: true,
    experimentalDecorators: true,
    emitDecoratorMetadata: true,
    sourceMap: false,
  };
  require.extensions['.ts'] = (module, filename) => {
    const { outputText } = ts.transpileModule(readFileSync(filename, 'utf8'), { compilerOptions: options, fileName: filename });
    module._compile(outputText, filename);
  };
}

// The replay thread, or another thread of the read models (`threadModule`: a module of this folder).
const threadModule = workerData.threadModule || 'replay-thread';
if (!/^[a-z-]+$/.test(threadModule)) throw new Error(`Not a thread module of the read models: ${threadModule}`);
require(fromSource ? join(root, 'libs', 'read-models', 'src', `${threadModule}.ts`) : join(root, 'dist', 'libs', 'read-models', 'src', `${threadModule}.js`));
