import { getEnvironmentData } from 'node:worker_threads';
import { holdSharedTesseractCore } from './shared-tesseract-core';
import { getSharedCore, SHARED_CORE_KEY, tesseractCoreBuild } from './tesseract-core';

jest.setTimeout(60_000);

const published = (): { build: string; module: object } | undefined => getEnvironmentData(SHARED_CORE_KEY) as { build: string; module: object } | undefined;

describe('the tesseract.js-core build shared by the OCR threads', () => {
  it('is published while a pool holds it, and withdrawn when the last one lets go', async () => {
    expect(published()).toBeUndefined();
    const releaseFirst = await holdSharedTesseractCore();
    const first = published();
    expect(first?.build).toBe(await tesseractCoreBuild());
    expect(first?.module.constructor.name).toBe('Module');

    const releaseSecond = await holdSharedTesseractCore();
    expect(published()?.module).toBe(first?.module);
    releaseFirst();
    releaseFirst();
    expect(published()?.module).toBe(first?.module);
    releaseSecond();
    expect(published()).toBeUndefined();
  });

  it('gives a thread an engine instantiated from the published module, and the plain one without it', async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the build is named at run time
    const plain = require(`tesseract.js-core/${await tesseractCoreBuild()}`) as unknown;
    expect(await getSharedCore()).toBe(plain);

    const release = await holdSharedTesseractCore();
    try {
      const factory = (await getSharedCore()) as (options: object) => Promise<{ TessBaseAPI: unknown }>;
      expect(factory).not.toBe(plain);
      const engine = await factory({});
      expect(typeof engine.TessBaseAPI).toBe('function');
    } finally {
      release();
    }
  });
});
