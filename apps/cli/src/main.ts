#!/usr/bin/env node
import { processIo } from './cli-io';
import { runCli } from './program';

// exitCode rather than exit(): lets stdout drain and the stores finish closing.
void runCli(process.argv.slice(2), processIo()).then((code) => {
  process.exitCode = code;
});
