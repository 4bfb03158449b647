import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@medrec/platform';
import { createApp, openApiDocument } from './create-app';

/**
 * Writes the API's OpenAPI document (the one served at /docs-json) to the file named on the command
 * line, from an app on throw-away embedded stores: the web app's client is generated from it.
 */
async function main(out: string | undefined): Promise<void> {
  if (!out) throw new Error('usage: write-openapi <file.json>');
  const dataDir = mkdtempSync(join(tmpdir(), 'medrec-openapi-'));
  try {
    const config = loadConfig({
      ...process.env,
      MEDREC_DATA_DIR: dataDir,
      MEDREC_OCR_IN_PROCESS: 'false',
      MEDREC_ADMIN_PASSWORD: randomBytes(18).toString('base64url'),
    });
    const app = await createApp(config, false);
    writeFileSync(out, JSON.stringify(openApiDocument(app), null, 2) + '\n');
    await app.close();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main(process.argv[2]).catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
