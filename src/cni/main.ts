// Entry point of the meridian-cni binary. The runtime starts this once per pod per verb, so it
// imports only node built-ins and src/cni (+ the src/net adapters it needs): no logger, no schema
// library, no execa, no commander.

// First: milliseconds since the process started, i.e. what Node start and loading the bundle cost.
const bootMs = performance.now();

import { readFileSync } from 'node:fs';
import { defaultDeps } from './deps.js';
import { CNI_CODES, CniError } from './errors.js';
import { FAULT_ENV, faultHook, type FaultPoint } from './fault.js';
import { cniHandlers } from './handlers.js';
import { selfTiming, TIMING_ENV } from './self-timing.js';
import { runSkel } from './skel.js';

function readStdin(): string {
  try {
    return readFileSync(0, 'utf8');
  } catch (e) {
    throw new CniError(CNI_CODES.ioFailure, 'cannot read the network config from stdin', e instanceof Error ? e.message : '');
  }
}

const timing = process.env[TIMING_ENV] === '1' ? selfTiming(defaultDeps.run, bootMs, () => performance.now()) : undefined;
// Test-only (fault.ts); SIGKILL, so nothing is cleaned up, exactly as after a crash or an OOM kill.
// Read when ADD reaches a fault point, so a misspelt value is that ADD's CNI error (code 4), not a
// crash at load of every verb.
const faultValue = process.env[FAULT_ENV];
const fault = faultValue === undefined || faultValue === '' ? undefined : (p: FaultPoint) => faultHook(faultValue, () => process.kill(process.pid, 'SIGKILL'))?.(p);
const deps = { ...defaultDeps, ...(timing !== undefined ? { run: timing.run } : {}), ...(fault !== undefined ? { fault } : {}) };

// No top-level await: this file is bundled as CommonJS (see scripts/build.mjs).
void runSkel(cniHandlers(deps), {
  env: process.env,
  readStdin,
  writeStdout: (s) => process.stdout.write(s),
  writeStderr: (s) => process.stderr.write(s),
}).then((status) => {
  if (timing !== undefined) process.stderr.write(timing.line());
  process.exitCode = status;
});
