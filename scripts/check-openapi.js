#!/usr/bin/env node
// Fails when the committed OpenAPI document or the web app's client types generated from it no
// longer match what the server answers (`npm run openapi` regenerates both). Run after a build.
'use strict';
const { execFileSync } = require('child_process');
const { mkdtempSync, readFileSync, rmSync } = require('fs');
const { tmpdir } = require('os');
const path = require('path');

const root = path.resolve(__dirname, '..');
const committed = { document: 'apps/web/src/api/openapi.json', types: 'apps/web/src/api/schema.d.ts' };
const dir = mkdtempSync(path.join(tmpdir(), 'medrec-openapi-check-'));
try {
  const fresh = { document: path.join(dir, 'openapi.json'), types: path.join(dir, 'schema.d.ts') };
  execFileSync(process.execPath, [path.join(root, 'scripts/run.js'), 'apps/api/src/write-openapi', fresh.document], { stdio: 'inherit' });
  execFileSync(process.execPath, [path.join(root, 'node_modules/openapi-typescript/bin/cli.js'), fresh.document, '-o', fresh.types, '--silent'], {
    stdio: 'inherit',
  });
  const stale = Object.keys(committed).filter((k) => readFileSync(path.join(root, committed[k]), 'utf8') !== readFileSync(fresh[k], 'utf8'));
  if (stale.length > 0) {
    console.error(
      `The server's API changed: ${stale.map((k) => committed[k]).join(' and ')} no longer match it. Run \`npm run openapi\` and commit the result (and fix the web app if it no longer typechecks).`,
    );
    process.exit(1);
  }
  console.log('OpenAPI document and web client types match the server.');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
