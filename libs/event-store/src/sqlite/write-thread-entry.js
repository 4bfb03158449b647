'use strict';
/*
 * Entry of the event store's write thread. Plain JavaScript, so that the same file starts the
 * thread from the compiled tree (dist/) and from the TypeScript sources (tests: a worker thread
 * gets none of jest's transforms, so the modules are transpiled here). It resolves the @medrec/*
 * aliases the way scripts/run.js does, then loads write-thread.
 *
 * From source, each module's transpiled text is kept in a cache under the temporary directory,
 * named by the hash of its source: loading TypeScript itself takes ~0.4 s, which every store of
 * every test would otherwise pay when it starts its write thread.
 */
const { createHash } = require('node:crypto');
const { mkdirSync, readFileSync, renameSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { workerData } = require('node:worker_threads');

const { root, fromSource } = workerData;
const tsconfigPaths = require(require.resolve('tsconfig-paths', { paths: [root] }));
const { compilerOptions } = require(join(root, 'tsconfig.json'));
tsconfigPaths.register({ baseUrl: fromSource ? root : join(root, 'dist'), paths: compilerOptions.paths });

if (fromSource) {
  const cacheDir = join(tmpdir(), `medrec-thread-ts-${process.getuid ? process.getuid() : 'user'}`);
  let ts;
  const transpile = (source, filename) => {
    ts ??= require(require.resolve('typescript', { paths: [root] }));
    const compilerOptions = {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
      experimentalDecorators: true,
      emitDecoratorMetadata: true,
      sourceMap: false,
    };
    return ts.transpileModule(source, { compilerOptions, fileName: filename }).outputText;
  };
  require.extensions['.ts'] = (module, filename) => {
    const source = readFileSync(filename, 'utf8');
    const cached = join(cacheDir, `${createHash('sha256').update(filename).update('\0').update(source).digest('hex')}.js`);
    let output;
    try {
      output = readFileSync(cached, 'utf8');
    } catch {
      output = transpile(source, filename);
      try {
        mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
        const partial = `${cached}.${process.pid}.${Math.random().toString(36).slice(2)}`;
        writeFileSync(partial, output);
        renameSync(partial, cached);
      } catch {
        // No cache: the next thread transpiles again.
      }
    }
    module._compile(output, filename);
  };
}

require(
  fromSource
    ? join(root, 'libs', 'event-store', 'src', 'sqlite', 'write-thread.ts')
    : join(root, 'dist', 'libs', 'event-store', 'src', 'sqlite', 'write-thread.js'),
);
