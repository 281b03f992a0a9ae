// Entry point of the meridian-cni binary. The runtime starts this once per pod per verb, so it
// imports only node built-ins and src/cni: no logger, no schema library, no execa at load time.

import { readFileSync } from 'node:fs';
import { runSkel, type CniHandlers } from './skel.js';

const handlers: CniHandlers = {};

// No top-level await: this file is bundled as CommonJS (see scripts/build.mjs).
void runSkel(handlers, {
  env: process.env,
  readStdin: () => readFileSync(0, 'utf8'),
  writeStdout: (s) => process.stdout.write(s),
  writeStderr: (s) => process.stderr.write(s),
}).then((status) => {
  process.exitCode = status;
});
