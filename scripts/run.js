#!/usr/bin/env node
// Runs a compiled entry point from dist/ with the @medrec/* path aliases resolved
// against the compiled tree. Usage: node scripts/run.js apps/api/src/main [args...]
'use strict';
const path = require('path');
const tsconfigPaths = require('tsconfig-paths');
const { compilerOptions } = require('../tsconfig.json');

const root = path.resolve(__dirname, '..');
tsconfigPaths.register({ baseUrl: path.join(root, 'dist'), paths: compilerOptions.paths });

const entry = process.argv[2];
if (!entry) {
  console.error('usage: node scripts/run.js <entry relative to the repository, without .ts>');
  process.exit(2);
}
process.argv.splice(2, 1);
require(path.join(root, 'dist', entry));
