/**
 * Loads an ESM-only package (file-type, pdfjs-dist) from this CommonJS code base with a real
 * dynamic import: TypeScript would turn a plain `import()` into `require()`, which cannot load ESM.
 * Under jest this needs `node --experimental-vm-modules` (npm test passes it).
 */
// The unique comment defeats V8's compilation cache, which would otherwise hand every jest test
// file the function compiled for the first one, bound to that file's (torn-down) module loader.
// eslint-disable-next-line @typescript-eslint/no-implied-eval
const dynamicImport = new Function('specifier', `return import(specifier) /* ${Date.now()}-${Math.random()} */`) as (specifier: string) => Promise<unknown>;

const loaded = new Map<string, Promise<unknown>>();

export function importEsm<T>(specifier: string): Promise<T> {
  let module = loaded.get(specifier);
  if (!module) {
    module = dynamicImport(specifier);
    loaded.set(specifier, module);
  }
  return module as Promise<T>;
}
